"""The tracker options every command that tracks shares, so that they all default to the same tracker."""

from __future__ import annotations

import argparse

MIRROR_AVERAGE_DEFAULT = True
"""Whether the commands' tracker averages over the mirrored crops: +1.5 mean SR on the validation scenes."""

MIRROR_AVERAGE_HELP = (
    "average the tracker over the search crop and its left-right mirror (default: on; "
    "--no-mirror-average is about 1.7x faster and is the paper's tracker)"
)


def add_mirror_average_flag(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--mirror-average / --no-mirror-average`, defaulting to MIRROR_AVERAGE_DEFAULT."""
    parser.add_argument(
        "--mirror-average", action=argparse.BooleanOptionalAction, default=MIRROR_AVERAGE_DEFAULT, help=MIRROR_AVERAGE_HELP
    )

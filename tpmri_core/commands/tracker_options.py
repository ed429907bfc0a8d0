"""The tracker options every command that tracks shares, so that they all default to the same tracker."""

from __future__ import annotations

import argparse

from tpmri_core.inference import BACKEND_NAMES

MIRROR_AVERAGE_DEFAULT = True
"""Whether the commands' tracker averages over the mirrored crops: +1.5 mean SR on the validation scenes."""

MIRROR_AVERAGE_HELP = (
    "average the tracker over the search crop and its left-right mirror (default: on; "
    "--no-mirror-average is about 1.7x faster and is the paper's tracker)"
)

BACKEND_DEFAULT = "auto"
"""'auto': ONNX Runtime on a CPU (when installed), PyTorch on CUDA (see tpmri_core.inference.backend)."""

BACKEND_HELP = (
    "what runs the network: auto (default: onnxruntime on a CPU, torch on CUDA), torch or onnxruntime; "
    "the ONNX graphs are built from the weights on first use and cached in ~/.cache/tpmri"
)


def add_mirror_average_flag(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--mirror-average / --no-mirror-average`, defaulting to MIRROR_AVERAGE_DEFAULT."""
    parser.add_argument(
        "--mirror-average", action=argparse.BooleanOptionalAction, default=MIRROR_AVERAGE_DEFAULT, help=MIRROR_AVERAGE_HELP
    )


def add_backend_flag(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--backend auto|torch|onnxruntime`, defaulting to BACKEND_DEFAULT."""
    parser.add_argument("--backend", choices=BACKEND_NAMES, default=BACKEND_DEFAULT, help=BACKEND_HELP)


def add_tracker_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """All the shared tracker options: mirror averaging and the backend."""
    add_mirror_average_flag(parser)
    add_backend_flag(parser)

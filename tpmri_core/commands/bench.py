"""`tpmri bench`: tracking steps per second on real-sized frames, with median and p90 latency."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from tpmri_core.benchmarking import measure_tracking_speed
from tpmri_core.commands.tracker_options import add_tracker_options
from tpmri_core.errors import UserError
from tpmri_core.tracking.tracker import Tracker, resolve_device
from tpmri_core.weights import resolve_model


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bench",
        help="measure tracking speed (crop + model + decode)",
        description="Track a moving target on real-sized frames and report steps per second with median "
        "and 90th-percentile latency, the backend and thread count used, and OpenCV CSRT's speed on the same "
        "frames when opencv-contrib is installed. Defaults: the default variant with its bundled weights.",
    )
    parser.add_argument("--variant", help="model variant (default: the default variant)")
    parser.add_argument("--weights", type=Path, help="TPMRI weights file (.safetensors)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    parser.add_argument("--precision", default="auto", help="auto, fp32, bf16 or fp16 (CUDA only; default auto)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (CUDA graphs on a GPU)")
    add_tracker_options(parser)
    parser.add_argument("--threads", type=int, metavar="N", help="CPU threads for the model (default: all cores)")
    parser.add_argument("--frames", type=int, default=200, help="timed tracking steps (default 200)")
    parser.add_argument("--size", default="640x480", help="frame size WxH (default 640x480)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)
    return parser


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UserError(f"--size {text!r} must look like 640x480") from None
    if width < 64 or height < 64:
        raise UserError(f"--size {text!r} is too small (at least 64x64)")
    return width, height


def run(args: argparse.Namespace) -> int:
    if args.frames < 1:
        raise UserError(f"--frames must be at least 1, got {args.frames}")
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    frame_wh = _parse_size(args.size)
    try:
        resolve_device(args.device)
    except ValueError as error:
        raise UserError(str(error)) from None
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    resolved = resolve_model(args.variant, args.weights)
    try:
        tracker = Tracker(resolved.model, device=args.device, precision=args.precision, compile_model=args.compile,
                          mirror_average=args.mirror_average, backend=args.backend, threads=args.threads)
    except ValueError as error:
        raise UserError(str(error)) from None
    report = measure_tracking_speed(tracker, resolved.variant, args.frames, frame_wh)
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        threads = f", {report.threads} thread{'s' if report.threads != 1 else ''}" if report.threads else ""
        csrt = f"; CSRT {report.csrt_fps:.1f} FPS on the same frames" if report.csrt_fps is not None else ""
        print(
            f"{resolved.describe()}{' with mirror averaging' if args.mirror_average else ''} on {report.device} "
            f"({report.backend}{threads}): {report.fps:.1f} FPS "
            f"(median {report.median_ms:.1f} ms, p90 {report.p90_ms:.1f} ms, {report.frames} frames "
            f"of {frame_wh[0]}x{frame_wh[1]}){csrt}"
        )
    return 0

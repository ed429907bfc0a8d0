"""From command-line words to a ready feed: the capture flags every front end shares.

    parser = argparse.ArgumentParser()
    add_capture_arguments(parser)                 # --rgb, --tir, --replay, --demo, --calibration, ...
    args = parser.parse_args()
    feed = open_feed(feed_spec_from_args(args))   # UserError (one line) for anything the user mistyped
    feed.start()

Source words (`--rgb` / `--tir`):
    0, 1, ...               OpenCV camera index (V4L2 on Linux, DirectShow on Windows)
    /dev/video2             OpenCV camera by device path
    realsense[:SERIAL]      Intel RealSense colour stream (RGB only; needs pyrealsense2)
    boson[:N], lepton[:N]   FLIR core through flirpy (thermal only; N = video device index)
    clip.mp4                a video file;  folder/   a folder of images (16-bit PNG thermal kept raw)
Two cameras make a `CameraPairFeed`; two files/folders a `PairSourceFeed` (folders paired frame by
frame, videos by timestamp); mixing a camera with a file is refused. `--replay FOLDER` plays a
recording or a dataset sequence, `--demo` the synthetic scene.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from tpmri_core.errors import UserError
from tpmri_live.capture.feeds import CameraPairFeed, PairFeed, PairSourceFeed
from tpmri_live.capture.file_sources import VIDEO_SUFFIXES, ImageSequenceSource, VideoFileSource
from tpmri_live.capture.flir_camera import FLIR_MODELS, FlirSource
from tpmri_live.capture.opencv_camera import THERMAL_FORMATS, OpenCVCameraSource
from tpmri_live.capture.pair_sources import IndexedPairSource, MergedPairSource
from tpmri_live.capture.pairing import FramePairer
from tpmri_live.capture.realsense_camera import RealSenseColorSource
from tpmri_live.capture.recording import PairRecorder
from tpmri_live.capture.registrar import FrameRegistrar, load_app_calibration
from tpmri_live.capture.replay import open_replay
from tpmri_live.capture.source import FrameSource
from tpmri_live.capture.synthetic import SyntheticPairSource
from tpmri_live.capture.thermal_gain import AutoGain

DEMO_FPS = 25.0
REPLAY_FPS = 30.0


@dataclass(frozen=True)
class FeedSpec:
    """Everything needed to build a feed (what the capture flags say).

    Args:
        rgb, tir: source words (see the module docstring); both or neither.
        replay: a recording or dataset sequence folder.
        demo: the synthetic scene.
        calibration: calibration file (TIR -> RGB homography); None stretches thermal onto the RGB grid.
        tir_format: 'auto', 'y16' or '8bit' for OpenCV thermal cameras.
        clahe: add local contrast equalisation to the thermal 8-bit view.
        max_skew_ms: pairing tolerance; None derives it from the frame rates.
        pace: 'recorded' or 'fast' for replays and files.
        loop: replays start over at the end.
        rgb_size, tir_size: requested camera resolutions (width, height).
        fps: requested camera rate; for replays of datasets and the demo, the playing rate.
        seed: synthetic scene seed.
        record: a new folder to record every pair into (see `recording`), or None.
    """

    rgb: str | None = None
    tir: str | None = None
    replay: str | None = None
    demo: bool = False
    calibration: str | None = None
    tir_format: str = "auto"
    clahe: bool = False
    max_skew_ms: float | None = None
    pace: str = "recorded"
    loop: bool = False
    rgb_size: tuple[int, int] | None = None
    tir_size: tuple[int, int] | None = None
    fps: float | None = None
    seed: int = 0
    record: str | None = None


def parse_size(text: str, flag: str = "size") -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise UserError(f"{flag} {text!r} must be WIDTHxHEIGHT, for example 640x480")
    return int(parts[0]), int(parts[1])


def add_capture_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the capture flags (a group named 'capture') to a front end's parser."""
    group = parser.add_argument_group(
        "capture",
        "Sources: a camera index (0), a device path (/dev/video2), realsense[:SERIAL], boson[:N] or lepton[:N] "
        "(flirpy), a video file or an image folder.",
    )
    group.add_argument("--rgb", metavar="SOURCE", help="visible camera or recording")
    group.add_argument("--tir", metavar="SOURCE", help="thermal camera or recording")
    group.add_argument("--replay", metavar="FOLDER", help="replay a recording (timestamps.csv) or a dataset sequence")
    group.add_argument("--demo", action="store_true", help="synthetic scene instead of cameras")
    group.add_argument("--calibration", metavar="FILE", help="TIR->RGB calibration from `tpmri calibrate`")
    group.add_argument(
        "--tir-format", default="auto", choices=THERMAL_FORMATS,
        help="thermal camera pixel format: y16 = raw 16-bit, 8bit, auto = try y16 (default: %(default)s)",
    )
    group.add_argument("--clahe", action="store_true", help="local contrast equalisation of the thermal view")
    group.add_argument(
        "--max-skew-ms", type=float, metavar="MS",
        help="drop pairs whose capture times differ more (default: 0.75 of the faster camera's frame period)",
    )
    group.add_argument(
        "--pace", default="recorded", choices=("recorded", "fast"),
        help="replays: at the recorded rate or as fast as possible (default: %(default)s)",
    )
    group.add_argument("--loop", action="store_true", help="replays start over at the end")
    group.add_argument("--rgb-size", metavar="WxH", help="requested RGB camera resolution")
    group.add_argument("--tir-size", metavar="WxH", help="requested thermal camera resolution")
    group.add_argument("--fps", type=float, help="requested camera rate; playing rate of datasets and the demo")
    group.add_argument("--seed", type=int, default=0, help="synthetic scene seed (default: %(default)s)")
    group.add_argument(
        "--record", metavar="FOLDER",
        help="record every pair into this new folder (RGB JPEG, raw thermal 16-bit PNG, timestamps.csv); --replay plays it",
    )


def feed_spec_from_args(args: argparse.Namespace) -> FeedSpec:
    return FeedSpec(
        rgb=args.rgb,
        tir=args.tir,
        replay=args.replay,
        demo=args.demo,
        calibration=args.calibration,
        tir_format=args.tir_format,
        clahe=args.clahe,
        max_skew_ms=args.max_skew_ms,
        pace=args.pace,
        loop=args.loop,
        rgb_size=parse_size(args.rgb_size, "--rgb-size") if args.rgb_size else None,
        tir_size=parse_size(args.tir_size, "--tir-size") if args.tir_size else None,
        fps=args.fps,
        seed=args.seed,
        record=args.record,
    )


def open_feed(spec: FeedSpec) -> PairFeed:
    """Build (not start) the feed the spec describes; UserError for contradictory or unknown words.

    With `spec.record` the recording folder is created here and recording runs until `feed.close()`.
    """
    feed = _build_feed(spec)
    if spec.record:
        feed.recording.start(PairRecorder(spec.record))
    return feed


def _build_feed(spec: FeedSpec) -> PairFeed:
    chosen = [name for name, given in (("--demo", spec.demo), ("--replay", spec.replay), ("--rgb/--tir", spec.rgb or spec.tir)) if given]
    if len(chosen) != 1:
        if not chosen:
            raise UserError("no input: give --rgb and --tir, --replay FOLDER, or --demo")
        raise UserError(f"{' and '.join(chosen)} cannot be combined: choose one input")
    if spec.max_skew_ms is not None and spec.max_skew_ms <= 0:
        raise UserError(f"--max-skew-ms must be positive, got {spec.max_skew_ms}")
    registrar = FrameRegistrar(load_app_calibration(spec.calibration))
    pace = "fast" if spec.pace == "fast" else "recorded"
    if spec.demo:
        return PairSourceFeed(SyntheticPairSource(spec.seed, fps=spec.fps or DEMO_FPS), registrar)
    if spec.replay:
        return PairSourceFeed(open_replay(spec.replay, spec.fps or REPLAY_FPS, _gain(spec)), registrar, pace, spec.loop)
    if not (spec.rgb and spec.tir):
        raise UserError(f"{'--tir' if spec.rgb else '--rgb'} is missing: give both --rgb and --tir")
    rgb, tir = source_from_word(spec.rgb, "rgb", spec), source_from_word(spec.tir, "tir", spec)
    max_skew_s = None if spec.max_skew_ms is None else spec.max_skew_ms / 1000.0
    if rgb.is_live and tir.is_live:
        pairer = FramePairer(max_skew_s, rgb_fps=rgb.nominal_fps, tir_fps=tir.nominal_fps)
        return CameraPairFeed(rgb, tir, registrar, pairer)
    if rgb.is_live or tir.is_live:
        raise UserError(
            f"--rgb {spec.rgb} and --tir {spec.tir}: one is a camera and one a recording; use two cameras or two recordings"
        )
    if isinstance(rgb, ImageSequenceSource) and isinstance(tir, ImageSequenceSource):
        return PairSourceFeed(IndexedPairSource(rgb, tir), registrar, pace, spec.loop)
    return PairSourceFeed(MergedPairSource(rgb, tir, max_skew_s), registrar, pace, spec.loop)


def _gain(spec: FeedSpec) -> AutoGain:
    return AutoGain(clahe=spec.clahe)


def source_from_word(word: str, modality: str, spec: FeedSpec = FeedSpec()) -> FrameSource:
    """The FrameSource a `--rgb` / `--tir` word names (not opened); UserError when it names nothing."""
    flag = f"--{modality}"
    text = word.strip()
    lowered = text.lower()
    size = spec.rgb_size if modality == "rgb" else spec.tir_size
    if text.isdigit() or text.startswith("/dev/"):
        device: int | str = int(text) if text.isdigit() else text
        return OpenCVCameraSource(device, modality, size, spec.fps, spec.tir_format, _gain(spec))  # type: ignore[arg-type]
    model, _, argument = lowered.partition(":")
    if model == "realsense":
        if modality != "rgb":
            raise UserError(f"{flag} {text}: RealSense is supported as the RGB camera only")
        return RealSenseColorSource(argument or None, size or (640, 480), int(spec.fps or 30))
    if model in FLIR_MODELS:
        if modality != "tir":
            raise UserError(f"{flag} {text}: FLIR {model} is a thermal camera; give it to --tir")
        if argument and not argument.isdigit():
            raise UserError(f"{flag} {text}: the device after '{model}:' must be a video index, e.g. {model}:1")
        return FlirSource(model, int(argument) if argument else None, _gain(spec))  # type: ignore[arg-type]
    path = Path(text)
    if path.is_dir():
        return ImageSequenceSource.folder(path, modality, spec.fps or REPLAY_FPS, _gain(spec))  # type: ignore[arg-type]
    if path.is_file():
        if path.suffix.lower() not in VIDEO_SUFFIXES:
            raise UserError(f"{flag} {text}: not a video file ({', '.join(sorted(VIDEO_SUFFIXES))}) or an image folder")
        return VideoFileSource(path, modality, None, _gain(spec))  # type: ignore[arg-type]
    raise UserError(
        f"{flag} {text!r}: not a camera index, /dev/video path, realsense[:SERIAL], boson/lepton[:N], "
        "or an existing video file or image folder"
    )

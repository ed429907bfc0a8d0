"""`tpmri-live`: the live RGB-thermal tracking window (or the same pipeline headless).

    tpmri-live --demo                                   synthetic scene, default weights, tracks at once
    tpmri-live --rgb 0 --tir 1 --calibration cal.json   two cameras
    tpmri-live --rgb a.mp4 --tir b.mp4                  two recordings (play, pause, step, seek, speed)
    tpmri-live --replay SEQ_DIR                         a recording or a dataset sequence
    tpmri-live --replay SEQ_DIR --headless --out DIR    no window: writes results.csv and annotated.mp4

Mistakes (bad flags, missing files, cameras that do not open, bad calibration or weights files) print
one line and exit with status 2; a window that cannot open says why in a few lines (status 2). Every
way out (closing the window, Ctrl-C, the end of a replay, --max-frames) closes results.csv and the video
and stops every thread; a tracking step still running then is waited for a few seconds, and if it still
has not returned the process ends without waiting for it (its result is not needed any more).
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from tpmri_core.boxes import parse_box_xywh
from tpmri_core.commands.tracker_options import add_tracker_options
from tpmri_core.errors import EXIT_INTERRUPTED, EXIT_USER_ERROR, UserError, run_command
from tpmri_live.capture.feed_factory import add_capture_arguments, feed_spec_from_args, open_feed
from tpmri_live.capture.feeds import CameraPairFeed, PairFeed, PairSourceFeed
from tpmri_live.pipeline.auto_select import AutoSelect, InitFromTruth, InitOnce
from tpmri_live.pipeline.palettes import PALETTE_NAMES
from tpmri_live.pipeline.replay_feed import MAX_SPEED, ReplayFeed
from tpmri_live.pipeline.run_stats import RunStats
from tpmri_live.pipeline.worker import InferenceWorker, TrackerLike, WorkerUpdate

PROG = "tpmri-live"
# At exit, how long a tracking step still running is waited for before the process leaves without it.
STEP_WAIT_S = 5.0
# After the window closes, how long the loop may take to close results.csv and the video.
CLOSE_WAIT_S = 30.0


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line (no usage block), with exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description="Real-time RGB-thermal single-object tracking with TPMRI. Drag on a view to select the "
        "target; R resets, Space pauses, '.' steps one frame, Esc cancels a selection.",
        epilog="Start with: tpmri-live --demo",
    )
    add_capture_arguments(parser)
    model = parser.add_argument_group("model")
    model.add_argument("--weights", metavar="FILE", help="weights file (.safetensors); default: the bundled weights")
    model.add_argument("--variant", metavar="V", help="model variant (default: tpmri-tiny-real, or the one in --weights)")
    model.add_argument("--device", default="auto", help="auto, cpu or cuda (default: %(default)s)")
    model.add_argument("--threads", type=int, metavar="N", help="CPU threads for inference (default: all cores but one)")
    add_tracker_options(model)
    run = parser.add_argument_group("run")
    run.add_argument("--init", metavar="X,Y,W,H", help="start tracking this box (RGB pixels) on the first frame")
    run.add_argument("--max-frames", type=int, metavar="N", help="exit after N processed frames")
    run.add_argument("--screenshot", metavar="PATH", help="save the window as a PNG just before exit")
    run.add_argument("--headless", action="store_true", help="no window: run the same pipeline and write the results")
    run.add_argument(
        "--out", metavar="DIR",
        help="headless: the results folder (default: runs/live-DATE-TIME); window: where Record creates its "
        "folders (default: runs). --record FOLDER records the raw pairs instead",
    )
    run.add_argument(
        "--record-results", action="store_true",
        help="window: write results.csv and annotated.mp4 from the start (the Record button)",
    )
    run.add_argument(
        "--speed", type=float, metavar="S",
        help="replay speed: 1 = recorded rate, 0 = every frame as fast as possible "
        "(default: 1 in the window, 0 headless; --pace fast means 0)",
    )
    run.add_argument("--palette", default="inferno", choices=PALETTE_NAMES, help="thermal palette (default: %(default)s)")
    run.add_argument(
        "--stats-json", metavar="PATH",
        help="at exit, write the run's numbers as JSON: stream, display and inference rates, frames shown, "
        "tracked and dropped, seconds in each target state",
    )
    return parser


def default_out_dir() -> Path:
    return Path("runs") / f"live-{datetime.datetime.now():%Y%m%d-%H%M%S}"


def check_args(args: argparse.Namespace) -> None:
    """Flag combinations argparse cannot check; raises UserError."""
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames must be at least 1, got {args.max_frames}")
    if args.headless and args.screenshot:
        raise UserError("--screenshot needs the window; drop --headless (headless runs write annotated.mp4)")
    if args.speed is not None and not 0 <= args.speed <= MAX_SPEED:
        raise UserError(f"--speed must be between 0 (every frame) and {MAX_SPEED:g}, got {args.speed}")
    if args.init is not None:
        try:
            parse_box_xywh(args.init)
        except ValueError as error:
            raise UserError(f"--init: {error}") from None
    if args.weights is not None and not Path(args.weights).is_file():
        raise UserError(f"--weights {args.weights}: file not found")


def replay_speed(args: argparse.Namespace) -> float:
    if args.speed is not None:
        return args.speed
    if args.pace == "fast" or args.headless:
        return 0.0
    return 1.0


def build_feed(args: argparse.Namespace) -> PairFeed:
    """The capture side's feed for the flags; recordings become a `ReplayFeed` (pause, step, seek, speed)."""
    spec = feed_spec_from_args(args)
    feed = open_feed(spec)
    if isinstance(feed, PairSourceFeed) and not spec.demo:
        return ReplayFeed(feed.source, feed.registrar, speed=replay_speed(args), loop=spec.loop, recording=feed.recording)
    return feed


def build_auto_select(args: argparse.Namespace) -> AutoSelect | None:
    if args.init is not None:
        return InitOnce(parse_box_xywh(args.init))
    if args.demo or args.replay:
        return InitFromTruth()
    return None


def source_text(args: argparse.Namespace) -> str:
    if args.demo:
        return "synthetic demo"
    if args.replay:
        return f"replay {args.replay}"
    return f"RGB {args.rgb} + TIR {args.tir}"


def load_tracker(args: argparse.Namespace) -> tuple[TrackerLike, str]:
    """Import torch and build the tracker (slow: done before any camera starts)."""
    from tpmri_live.pipeline.tracker_factory import build_tracker

    built = build_tracker(args.variant, args.weights, args.device, args.threads, args.mirror_average, args.backend)
    return built.tracker, f"{built.description} on {built.device}"


def video_fps(feed: PairFeed, fallback: float = 25.0) -> float:
    """The annotated video's rate: the source's nominal rate where it has one."""
    source = getattr(feed, "source", None)
    fps = getattr(source, "nominal_fps", None)
    return float(fps) if fps else fallback


def run_headless(worker: InferenceWorker, out_dir: Path, init_given: bool) -> int:
    """Run the loop in this thread, print progress, write results into `out_dir`."""
    worker.start_recording(out_dir, fps=video_fps(worker.feed), palette="inferno")
    last_message = ""
    started_s = time.monotonic()
    last_print_s = started_s
    refused = ""

    def publish(update: WorkerUpdate) -> None:
        nonlocal last_message, last_print_s, refused
        if update.message and update.message != last_message:
            last_message = update.message
            if update.message.startswith("selection refused") and init_given:
                refused = update.message
                worker.stop()
            elif not update.message.startswith(("recording to", "results saved")):
                print(f"{PROG}: {update.message}", file=sys.stderr)
        now_s = time.monotonic()
        if now_s - last_print_s >= 2.0:
            last_print_s = now_s
            down = f", {'/'.join(sorted(update.streams_down)).upper()} down" if update.streams_down else ""
            print(f"{PROG}: {update.frames_done} frames, inference {update.inference_fps:.1f} fps{down}", file=sys.stderr)

    frames = worker.run(publish)
    if refused:
        raise UserError(f"--init: {refused}")
    elapsed_s = max(time.monotonic() - started_s, 1e-9)
    print(f"{PROG}: {frames} frames in {elapsed_s:.1f} s ({frames / elapsed_s:.1f} fps); results in {out_dir}")
    return 0


def drop_opencv_qt_paths() -> None:
    """opencv-python points Qt at its own (Qt 5) plugins and fonts when imported; PySide6 must use its own."""
    import cv2

    opencv_dir = os.path.dirname(os.path.abspath(cv2.__file__))
    for name in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        if os.environ.get(name, "").startswith(opencv_dir):
            del os.environ[name]


def check_window_can_open() -> None:
    """Raise UserError (a few lines: cause and fix) when no window can open here; Qt would abort instead."""
    drop_opencv_qt_paths()
    from tpmri_live.gui.platform_check import window_problem

    problem = window_problem()
    if problem is not None:
        raise UserError(problem)


def run_window(args: argparse.Namespace, worker: InferenceWorker, model_text: str) -> int:
    """Open the window over the worker; returns when it closes."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from tpmri_live.gui.main_window import MainWindow
    from tpmri_live.gui.theme import apply_dark_theme
    from tpmri_live.gui.worker_thread import WorkerThread

    app = QApplication.instance() or QApplication([PROG])
    app.setApplicationName("TPMRI Live")
    apply_dark_theme(app)
    thread = WorkerThread(worker)
    window = MainWindow(
        thread,
        model_text=model_text,
        source_text=source_text(args),
        record_root=Path(args.out) if args.out else Path("runs"),
        screenshot_path=args.screenshot,
        palette=args.palette,
        stats=worker.stats,
    )
    window.runFinished.connect(window.close)
    if args.record_results:
        window.record_button.setChecked(True)
    # Ctrl+C in the terminal closes the window like the close button (Python sees signals between timer ticks).
    previous_handler = signal.signal(signal.SIGINT, lambda *_: window.close())
    ticker = QTimer()
    ticker.start(200)
    ticker.timeout.connect(lambda: None)
    window.show()
    window.start()
    try:
        app.exec()
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        ticker.stop()
        window.stop_worker()
        # The loop never waits on a tracking step, so it ends at once; closing the results may take a moment
        # (the video's last frames). Qt aborts the process if a QThread object dies while its thread runs.
        if not thread.wait(int(CLOSE_WAIT_S * 1000)):
            print(f"{PROG}: the inference loop did not end within {CLOSE_WAIT_S:.0f} s; leaving without it", file=sys.stderr)
            sys.stderr.flush()
            os._exit(0)
    if args.screenshot and window.screenshot_saved is None:
        raise UserError(f"--screenshot {args.screenshot}: could not write the image")
    return 0


def quiet_opencv() -> None:
    """OpenCV logs its own warnings when a camera does not answer; our one-line error says it better."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def run(args: argparse.Namespace, tracker_loader: Callable[[argparse.Namespace], tuple[TrackerLike, str]] = load_tracker) -> int:
    """The whole run; `tracker_loader` builds the tracker (tests pass a fake one instead of the model)."""
    check_args(args)
    quiet_opencv()
    if not args.headless:
        check_window_can_open()  # before anything starts: Qt aborts the process where no window can open
    feed = build_feed(args)  # sources and calibration are checked before the slow model load
    cameras = isinstance(feed, CameraPairFeed)
    worker: InferenceWorker | None = None
    try:
        if cameras:
            feed.start()  # cameras that do not open fail here, at once
        tracker, model_text = tracker_loader(args)
        if not cameras:
            feed.start()  # recordings and the demo start after the model, so their first frame is tracked
        worker = InferenceWorker(
            feed,
            tracker,
            auto_select=build_auto_select(args),
            max_frames=args.max_frames,
            stop_when_ended=args.headless,
            track_every_pair=args.headless,
        )
        try:
            if args.headless:
                out_dir = Path(args.out) if args.out else default_out_dir()
                code = run_headless(worker, out_dir, init_given=args.init is not None)
            else:
                code = run_window(args, worker, model_text)
        except KeyboardInterrupt:  # headless Ctrl-C: worker.run has closed the results on its way out
            code = EXIT_INTERRUPTED
        finally:
            if args.stats_json:
                worker.stats.write_json(args.stats_json)
    finally:
        feed.close()
    if not worker.runner.join(STEP_WAIT_S):
        # A step that has not returned (a slow model on a CPU): the results are closed and nothing needs
        # its answer; leaving now avoids tearing the interpreter down under it.
        print(f"{PROG}: a tracking step was still running at exit; not waiting for it", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def main(argv: Sequence[str] | None = None, tracker_loader: Callable[[argparse.Namespace], tuple[TrackerLike, str]] = load_tracker) -> int:
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(PROG, lambda: run(args, tracker_loader))


if __name__ == "__main__":
    sys.exit(main())

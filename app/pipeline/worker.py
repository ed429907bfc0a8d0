"""The inference loop as a plain object: take the newest pair, run the tracker, publish a result.

No Qt and no torch here: the tracker comes in as any object with `initialize(frame, box_xywh)` and
`track(frame) -> TrackResult` (built by `tpmri_live.pipeline.tracker_factory`, or a fake in tests), pairs come
from a capture `PairFeed` (`wait_latest` always hands out the newest pair), and results go out as
frozen dataclasses of numpy arrays through a `publish` callable. The window runs `run()` in a QThread
(`tpmri_live.gui.worker_thread`); `--headless` runs the very same loop in the main thread.

Commands (select, reset, pause, resume, step, seek, speed, record) may be called from any thread: they
are queued and applied by the loop between two frames, so only the loop's thread touches the tracker.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from tpmri_core.errors import UserError
from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.result import TrackResult
from tpmri_live.pipeline.auto_select import AutoSelect
from tpmri_live.capture.feeds import FeedStatus, PairFeed
from tpmri_live.capture.timed_frames import RegisteredPair
from tpmri_live.pipeline.rate_monitor import RateMonitor
from tpmri_live.pipeline.replay_feed import ReplayControls, ReplayPosition
from tpmri_live.pipeline.results_recorder import ResultsRecorder
from tpmri_live.pipeline.track_history import HistorySnapshot, TrackHistory

_LOG = logging.getLogger(__name__)

BoxXYWH = tuple[float, float, float, float]
Grid = Literal["rgb", "tir"]


class TrackerLike(Protocol):
    def initialize(self, frame: RGBTFrame, box_xywh: BoxXYWH) -> None: ...

    def track(self, frame: RGBTFrame) -> TrackResult: ...


@dataclass(frozen=True, eq=False)
class WorkerUpdate:
    """What the window draws after one step of the loop; every array in it belongs to the receiver.

    Args:
        frame: the registered pair just processed (a private copy), or None for a status-only update.
        tir_camera: the thermal camera's own 8-bit view (its pixel grid, not registered), a copy; None
            with `frame` None.
        box_xywh: the target on `frame` in RGB pixels (the registered thermal image shares that grid);
            None when nothing is tracked.
        box_xywh_tir: the same box on the thermal camera's grid, mapped through the calibration.
        result: the tracker's answer on `frame`; None on the frame tracking started on, or when idle.
        t_ready_s: when the pair was complete (time.monotonic seconds), for the capture-to-display latency;
            None unless `frame` was processed in this step (a redisplay after a selection is not new).
        frames_done: pairs processed so far.
        paused: the loop waits for resume or step.
        inference_fps: tracking steps per second over the last seconds.
        step_ms: wall time of the last tracking step (crop, model and decode).
        feed: the sources' states, rates, dropped and skipped pairs.
        replay: where a replay stands; None for live feeds.
        history: alpha and score of the recent steps, oldest first.
        recording_dir: where results are being written, or None.
        message: a one-line notice for the user (a refused selection, a failed step); empty when none.
        finished: the loop ends after this update (--max-frames reached, or a headless replay ended).
    """

    frame: RGBTFrame | None
    tir_camera: np.ndarray | None
    box_xywh: BoxXYWH | None
    box_xywh_tir: BoxXYWH | None
    result: TrackResult | None
    t_ready_s: float | None
    frames_done: int
    paused: bool
    inference_fps: float
    step_ms: float | None
    feed: FeedStatus
    replay: ReplayPosition | None = None
    history: HistorySnapshot = field(default_factory=HistorySnapshot.empty)
    recording_dir: Path | None = None
    message: str = ""
    finished: bool = False

    @property
    def tracking(self) -> bool:
        return self.box_xywh is not None


def copy_frame(frame: RGBTFrame) -> RGBTFrame:
    """A frame whose arrays nobody else holds (capture threads may reuse their buffers)."""
    return RGBTFrame(
        rgb=frame.rgb.copy(),
        tir=frame.tir.copy(),
        t_rgb=frame.t_rgb,
        t_tir=frame.t_tir,
        tir_raw=None if frame.tir_raw is None else frame.tir_raw.copy(),
        index=frame.index,
    )


def latency_ms(t_ready_s: float | None, now_s: float) -> float:
    """Capture-to-now latency in milliseconds (NaN without a capture time)."""
    return float("nan") if t_ready_s is None else (now_s - t_ready_s) * 1e3


class InferenceWorker:
    """Runs the tracker on the newest pair of a feed, one step at a time.

    Args:
        feed: a started capture feed (live: newest only; `ReplayFeed`: also play/pause/step/seek/speed).
        tracker: the tracker (owned by this worker from now on; only the loop's thread touches it).
        auto_select: asked about every pair; a box it returns (re)starts tracking there (`--init`, or the
            ground truth of the demo and of annotated replays). None: wait for a selection.
        max_frames: finish after this many processed pairs (None: run until stopped).
        stop_when_ended: finish when a recording has played to its end (headless runs).
        history_s: seconds of alpha and score history sent with every update.
        status_interval_s: how often a status-only update goes out while no pair arrives.
        poll_s: longest wait for a pair before queued commands are applied.
        clock: time source in seconds (time.monotonic, the capture clock).
    """

    def __init__(
        self,
        feed: PairFeed,
        tracker: TrackerLike,
        auto_select: AutoSelect | None = None,
        max_frames: int | None = None,
        stop_when_ended: bool = False,
        history_s: float = 60.0,
        status_interval_s: float = 0.25,
        poll_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_frames is not None and max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {max_frames}")
        self.feed = feed
        self.tracker = tracker
        self.auto_select = auto_select
        self.max_frames = max_frames
        self.stop_when_ended = stop_when_ended
        self.history_s = history_s
        self.status_interval_s = status_interval_s
        self.poll_s = poll_s
        self._clock = clock
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._history = TrackHistory()
        self._inference_rate = RateMonitor(window_s=2.0)
        self._last_frame: RGBTFrame | None = None
        self._last_tir_camera: np.ndarray | None = None
        self._last_t_ready_s: float | None = None
        self._box_xywh: BoxXYWH | None = None
        self._pending_box: BoxXYWH | None = None
        self._paused = False
        self._pending_steps = 0
        self._redisplay = False
        self._message = ""
        self._step_ms: float | None = None
        self._frames_done = 0
        self._last_publish_s = -math.inf
        self._recorder: ResultsRecorder | None = None

    # Commands: callable from any thread; applied by the loop between two frames.

    def select(self, box_xywh: BoxXYWH, grid: Grid = "rgb") -> None:
        """Track the target in `box_xywh` on the frame on screen; re-selects at any time.

        `grid` says which image the box was drawn on: 'rgb' (and the registered thermal view, same grid)
        or 'tir', the thermal camera's own image, mapped onto the RGB grid through the calibration.
        """
        box = (float(box_xywh[0]), float(box_xywh[1]), float(box_xywh[2]), float(box_xywh[3]))
        self._commands.put(lambda: self._apply_select(box, grid))

    def reset(self) -> None:
        """Stop tracking and clear the alpha history; the next selection starts afresh."""
        self._commands.put(self._apply_reset)

    def pause(self) -> None:
        self._commands.put(lambda: self._apply_pause(True))

    def resume(self) -> None:
        self._commands.put(lambda: self._apply_pause(False))

    def toggle_pause(self) -> None:
        self._commands.put(lambda: self._apply_pause(not self._paused))

    def step(self) -> None:
        """Process exactly one more pair (the next frame of a replay); pauses first when running."""
        self._commands.put(self._apply_step)

    def seek(self, index: int) -> None:
        """Jump a replay to pair `index` (shown at once when paused); live feeds ignore it."""
        self._commands.put(lambda: self._apply_seek(int(index)))

    def set_speed(self, speed: float) -> None:
        """Replay speed (1 = recorded rate, 0 = every pair as fast as possible); live feeds ignore it."""
        self._commands.put(lambda: self._apply_speed(float(speed)))

    def start_recording(self, out_dir: Path | str, fps: float = 25.0, palette: str = "inferno", video: bool = True) -> None:
        """Write results.csv (and annotated.mp4 unless `video` is False) into `out_dir` from the next pair on."""
        self._commands.put(lambda: self._apply_start_recording(Path(out_dir), fps, palette, video))

    def stop_recording(self) -> None:
        self._commands.put(self._apply_stop_recording)

    def stop(self) -> None:
        """Ask the loop to end after the current step (returns at once)."""
        self._stop.set()
        self._commands.put(lambda: None)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def frames_done(self) -> int:
        return self._frames_done

    # Command handlers: run on the loop's thread only.

    def _to_rgb_grid(self, box_xywh: BoxXYWH, grid: Grid) -> BoxXYWH:
        registration = self.feed.registrar.registration
        if grid == "rgb" or registration is None or registration.is_identity:
            return box_xywh
        return registration.box_xywh_tir_to_rgb(box_xywh)

    def _to_tir_grid(self, box_xywh: BoxXYWH | None) -> BoxXYWH | None:
        registration = self.feed.registrar.registration
        if box_xywh is None or registration is None or registration.is_identity:
            return box_xywh
        return registration.box_xywh_rgb_to_tir(box_xywh)

    def _apply_select(self, box_xywh: BoxXYWH, grid: Grid) -> None:
        box_xywh = self._to_rgb_grid(box_xywh, grid)
        if self._last_frame is None:
            self._pending_box = box_xywh
            return
        self._initialize(self._last_frame, box_xywh)
        self._redisplay = True

    def _initialize(self, frame: RGBTFrame, box_xywh: BoxXYWH) -> bool:
        try:
            self.tracker.initialize(frame, box_xywh)
        except ValueError as error:
            self._message = f"selection refused: {error}"
            return False
        self._box_xywh = (float(box_xywh[0]), float(box_xywh[1]), float(box_xywh[2]), float(box_xywh[3]))
        self._history.clear()
        self._inference_rate.reset()
        self._message = ""
        return True

    def _apply_reset(self) -> None:
        self._box_xywh = None
        self._pending_box = None
        self._history.clear()
        self._inference_rate.reset()
        self._step_ms = None
        self._message = ""
        self._redisplay = self._last_frame is not None

    def _apply_pause(self, paused: bool) -> None:
        self._paused = paused
        if not paused:
            self._pending_steps = 0
        if isinstance(self.feed, ReplayControls):
            self.feed.set_playing(not paused)
        self._last_publish_s = -math.inf  # show the new state at once

    def _apply_step(self) -> None:
        if not self._paused:
            self._apply_pause(True)
        self._pending_steps += 1

    def _apply_seek(self, index: int) -> None:
        if isinstance(self.feed, ReplayControls):
            self.feed.seek(index)
            if self._paused:
                self._pending_steps = max(self._pending_steps, 1)

    def _apply_speed(self, speed: float) -> None:
        if isinstance(self.feed, ReplayControls):
            try:
                self.feed.set_speed(speed)
            except ValueError as error:
                self._message = str(error)

    def _apply_start_recording(self, out_dir: Path, fps: float, palette: str, video: bool) -> None:
        self._apply_stop_recording()
        try:
            self._recorder = ResultsRecorder(out_dir, fps=fps, palette=palette, video=video)
        except UserError as error:
            self._message = str(error)
            return
        self._message = f"recording to {out_dir}"

    def _apply_stop_recording(self) -> None:
        if self._recorder is not None:
            self._recorder.close()
            self._message = f"results saved in {self._recorder.out_dir}"
            self._recorder = None

    def _drain_commands(self, block_s: float) -> None:
        try:
            command = self._commands.get(timeout=block_s) if block_s > 0 else self._commands.get_nowait()
        except queue.Empty:
            return
        while True:
            command()
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return

    # The loop.

    def _next_pair(self) -> RegisteredPair | None:
        if not self._paused:
            return self.feed.wait_latest(self.poll_s)
        if self._pending_steps == 0:
            return None
        self._pending_steps -= 1
        if isinstance(self.feed, ReplayControls):
            return self.feed.step()
        return self.feed.wait_latest(max(self.poll_s, 0.5))

    def _process(self, pair: RegisteredPair) -> WorkerUpdate:
        frame = copy_frame(pair.frame)
        result: TrackResult | None = None
        auto_box = self.auto_select(pair) if self.auto_select is not None else None
        if auto_box is not None:
            self._initialize(frame, auto_box)
            self._pending_box = None
        elif self._pending_box is not None:
            self._initialize(frame, self._pending_box)
            self._pending_box = None
        elif self._box_xywh is not None:
            result = self._track(frame)
        self._last_frame = frame
        self._last_tir_camera = pair.raw.tir.image.copy()
        self._last_t_ready_s = pair.raw.t_s
        self._frames_done += 1
        if self._recorder is not None:
            self._record(frame, pair.raw.t_s, result)
        finished = self.max_frames is not None and self._frames_done >= self.max_frames
        return self._update(with_frame=True, fresh=True, result=result, finished=finished)

    def _track(self, frame: RGBTFrame) -> TrackResult | None:
        start_s = self._clock()
        try:
            result = self.tracker.track(frame)
        except Exception as error:  # a failing step must not take the window down; the user re-selects
            _LOG.exception("tracking step failed")
            self._message = f"tracking stopped: {type(error).__name__}: {error}"
            self._box_xywh = None
            return None
        now_s = self._clock()
        self._step_ms = (now_s - start_s) * 1e3
        self._inference_rate.tick(now_s)
        self._box_xywh = result.box_xywh
        self._history.append(now_s, result.alpha_mean, result.score, result.alpha_per_layer)
        return result

    def _record(self, frame: RGBTFrame, t_ready_s: float, result: TrackResult | None) -> None:
        assert self._recorder is not None
        try:
            self._recorder.write(frame, self._box_xywh, result, latency_ms=latency_ms(t_ready_s, self._clock()))
        except (UserError, OSError) as error:
            self._message = f"recording stopped: {error}"
            self._recorder.close()
            self._recorder = None

    def _update(
        self, with_frame: bool, fresh: bool = False, result: TrackResult | None = None, finished: bool = False
    ) -> WorkerUpdate:
        """An update; `fresh` marks a newly processed pair (a redisplay after a selection is not fresh)."""
        now_s = self._clock()
        self._last_publish_s = now_s
        replay = self.feed.position() if isinstance(self.feed, ReplayControls) else None
        return WorkerUpdate(
            frame=self._last_frame if with_frame else None,
            tir_camera=self._last_tir_camera if with_frame else None,
            box_xywh=self._box_xywh,
            box_xywh_tir=self._to_tir_grid(self._box_xywh),
            result=result,
            t_ready_s=self._last_t_ready_s if fresh else None,
            frames_done=self._frames_done,
            paused=self._paused,
            inference_fps=self._inference_rate.rate_hz(now_s),
            step_ms=self._step_ms,
            feed=self.feed.status(),
            replay=replay,
            history=self._history.snapshot(self.history_s),
            recording_dir=None if self._recorder is None else self._recorder.out_dir,
            message=self._message,
            finished=finished,
        )

    def run_once(self) -> WorkerUpdate | None:
        """Apply queued commands, process at most one pair; returns what to publish (None: nothing new)."""
        idle = self._paused and self._pending_steps == 0 and not self._redisplay
        self._drain_commands(block_s=min(self.status_interval_s, 0.1) if idle else 0.0)
        if self._stop.is_set():
            return None
        if self._redisplay:
            self._redisplay = False
            return self._update(with_frame=True)
        pair = self._next_pair()
        if pair is not None:
            return self._process(pair)
        ended = self.feed.status().ended
        if self.stop_when_ended and ended:
            return self._update(with_frame=False, finished=True)
        if self._clock() - self._last_publish_s >= self.status_interval_s:
            return self._update(with_frame=False)
        return None

    def run(self, publish: Callable[[WorkerUpdate], None]) -> int:
        """Loop until stopped or finished; returns the number of processed pairs. Closes the recorder."""
        try:
            while not self._stop.is_set():
                update = self.run_once()
                if update is None:
                    continue
                publish(update)
                if update.finished:
                    break
        finally:
            self._apply_stop_recording()
        return self._frames_done

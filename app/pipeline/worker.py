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
from tpmri_live.capture.feeds import FeedStatus, PairFeed
from tpmri_live.capture.timed_frames import RegisteredPair
from tpmri_live.pipeline.auto_select import AutoSelect
from tpmri_live.pipeline.rate_monitor import RateMonitor
from tpmri_live.pipeline.replay_feed import ReplayControls, ReplayPosition
from tpmri_live.pipeline.results_recorder import BackgroundRecorder, FrameCaption
from tpmri_live.pipeline.run_stats import RunStats
from tpmri_live.pipeline.step_runner import StepOutcome, StepRunner
from tpmri_live.pipeline.track_history import HistorySnapshot, TrackHistory

_LOG = logging.getLogger(__name__)

BoxXYWH = tuple[float, float, float, float]
Grid = Literal["rgb", "tir"]


class TrackerLike(Protocol):
    def initialize(self, frame: RGBTFrame, box_xywh: BoxXYWH, framed: bool = True) -> None: ...

    def track(self, frame: RGBTFrame) -> TrackResult: ...


@dataclass(frozen=True, eq=False)
class WorkerUpdate:
    """What the window draws after one step of the loop; every array in it belongs to the receiver.

    Args:
        frame: the registered pair just processed (a private copy), or None for a status-only update.
        tir_camera: the thermal camera's own 8-bit view (its pixel grid, not registered), a copy; None
            with `frame` None.
        box_xywh: the newest box in RGB pixels (the registered thermal image shares that grid); None when
            nothing is tracked. It was found on an earlier pair when inference is slower than the cameras.
        box_xywh_tir: the same box on the thermal camera's grid, mapped through the calibration.
        result: the tracker's answer that gave `box_xywh`; None before the first step after a selection.
        t_ready_s: when the pair was complete (time.monotonic seconds), for the capture-to-display latency;
            None unless `frame` is a newly taken pair (a redisplay after a selection is not new).
        frames_done: pairs taken (shown) so far.
        paused: the loop waits for resume or step.
        inference_fps: tracking steps per second over the last seconds.
        step_ms: wall time of the last tracking step (crop, model and decode).
        feed: the sources' states, rates, dropped and skipped pairs.
        replay: where a replay stands; None for live feeds.
        history: alpha and score of the recent steps, oldest first.
        recording_dir: where results are being written, or None.
        message: a one-line notice for the user (a refused selection, a failed step); empty when none.
        finished: the loop ends after this update (--max-frames reached, or a headless replay ended).
        box_age_frames: how many pairs older than `frame` the box's pair is (0: found on this very pair).
        target_state: 'tracking', 'uncertain' or 'lost' (the tracker's judgement), None when idle.
        streams_down: the modalities whose stream is down; tracking runs on the other one.
        frames_tracked: tracking steps finished so far.
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
    box_age_frames: int = 0
    target_state: str | None = None
    streams_down: frozenset[str] = frozenset()
    frames_tracked: int = 0

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


def tracked_state(down: frozenset[str]) -> str:
    """The results row's `state` for a tracking step on a pair with these streams down."""
    if down == {"tir"}:
        return "tracked-rgb-only"
    if down == {"rgb"}:
        return "tracked-tir-only"
    return "tracked"


@dataclass(frozen=True, eq=False)
class _Job:
    """One step for the runner: start tracking on `frame` (`box_xywh` given) or track it; `generation`
    tells answers that belong to the current target from those of a target since replaced."""

    frame: RGBTFrame
    box_xywh: BoxXYWH | None
    generation: int
    down: frozenset[str]
    t_ready_s: float
    framed: bool = True  # the box frames the target (drawn, given); False: a click's default square


class InferenceWorker:
    """Shows every pair of a feed and tracks the newest one when the tracker is free (see the module docstring).

    Args:
        feed: a started capture feed (live: newest only; `ReplayFeed`: also play/pause/step/seek/speed).
        tracker: the tracker (owned by this worker from now on; only its runner thread touches it).
        auto_select: asked about every pair; a box it returns (re)starts tracking there (`--init`, or the
            ground truth of the demo and of annotated replays). None: wait for a selection.
        max_frames: finish after this many pairs (None: run until stopped).
        stop_when_ended: finish when a recording has played to its end (headless runs).
        track_every_pair: track each pair before publishing it (headless), instead of the newest when free.
        history_s: seconds of alpha and score history sent with every update.
        status_interval_s: how often a status-only update goes out while no pair arrives.
        poll_s: longest wait for a pair before queued commands are applied.
        finish_wait_s: at the end of a run (not on stop), how long to wait for a running step's answer.
        stats: counters for --stats-json (a new one by default).
        clock: time source in seconds (time.monotonic, the capture clock).
    """

    def __init__(
        self,
        feed: PairFeed,
        tracker: TrackerLike,
        auto_select: AutoSelect | None = None,
        max_frames: int | None = None,
        stop_when_ended: bool = False,
        track_every_pair: bool = False,
        history_s: float = 60.0,
        status_interval_s: float = 0.25,
        poll_s: float = 0.05,
        finish_wait_s: float = 10.0,
        stats: RunStats | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_frames is not None and max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {max_frames}")
        self.feed = feed
        self.tracker = tracker
        self.auto_select = auto_select
        self.max_frames = max_frames
        self.stop_when_ended = stop_when_ended
        self.track_every_pair = track_every_pair
        self.history_s = history_s
        self.status_interval_s = status_interval_s
        self.poll_s = poll_s
        self.finish_wait_s = finish_wait_s
        self.stats = stats or RunStats()
        self._clock = clock
        self.runner: StepRunner[_Job] = StepRunner()
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._history = TrackHistory()
        self._inference_rate = RateMonitor(window_s=2.0)
        self._last_frame: RGBTFrame | None = None
        self._last_tir_camera: np.ndarray | None = None
        self._last_t_ready_s: float | None = None
        self._last_down: frozenset[str] = frozenset()
        self._box_xywh: BoxXYWH | None = None
        self._box_index = 0
        self._result: TrackResult | None = None
        self._generation = 0
        self._waiting_init: _Job | None = None
        self._waiting_track: _Job | None = None
        self._pending_box: BoxXYWH | None = None
        self._pending_framed = True
        self._paused = False
        self._pending_steps = 0
        self._redisplay = False
        self._message = ""
        self._step_ms: float | None = None
        self._frames_done = 0
        self._frames_tracked = 0
        self._last_publish_s = -math.inf
        self._recorder: BackgroundRecorder | None = None

    # Commands: callable from any thread; applied by the loop between two frames.

    def select(self, box_xywh: BoxXYWH, grid: Grid = "rgb", framed: bool = True) -> None:
        """Track the target in `box_xywh` on the frame on screen; re-selects at any time.

        `grid` says which image the box was drawn on: 'rgb' (and the registered thermal view, same grid)
        or 'tir', the thermal camera's own image, mapped onto the RGB grid through the calibration.
        `framed`: False for a box that only marks a point (a click's default square), whose framing the
        tracker should not keep (see Tracker.initialize).
        """
        box = (float(box_xywh[0]), float(box_xywh[1]), float(box_xywh[2]), float(box_xywh[3]))
        self._commands.put(lambda: self._apply_select(box, grid, framed))

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
        """Show and track exactly one more pair (the next frame of a replay); pauses first when running."""
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
        """Ask the loop to end (returns at once; a running tracking step is not waited for)."""
        self._stop.set()
        self._commands.put(lambda: None)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def frames_done(self) -> int:
        return self._frames_done

    @property
    def frames_tracked(self) -> int:
        return self._frames_tracked

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

    def _apply_select(self, box_xywh: BoxXYWH, grid: Grid, framed: bool) -> None:
        box_xywh = self._to_rgb_grid(box_xywh, grid)
        if self._last_frame is None:
            self._pending_box, self._pending_framed = box_xywh, framed
            return
        self._request_init(self._last_frame, box_xywh, self._last_down, self._last_t_ready_s or self._clock(), framed)
        # Headless or paused, the selection is shown with its answer (accepted or refused); live, the box
        # shows at once and the answer follows with a later pair.
        self._finish_steps(wait=self.track_every_pair or self._paused)
        self._redisplay = True

    def _apply_reset(self) -> None:
        self._generation += 1
        self._waiting_init = self._waiting_track = None
        self._box_xywh = None
        self._result = None
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
            self._recorder = BackgroundRecorder(out_dir, fps=fps, palette=palette, video=video)
        except UserError as error:
            self._message = str(error)
            return
        self._message = f"recording to {out_dir}"

    def _apply_stop_recording(self) -> None:
        if self._recorder is not None:
            recorder, self._recorder = self._recorder, None
            recorder.close()
            self._message = f"results saved in {recorder.out_dir}" if not recorder.error else f"recording stopped: {recorder.error}"

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

    # Tracking steps, on the runner's thread.

    def _request_init(
        self, frame: RGBTFrame, box_xywh: BoxXYWH, down: frozenset[str], t_ready_s: float, framed: bool = True
    ) -> None:
        """Start tracking `box_xywh` on `frame`: drawn at once, confirmed (or refused) by the runner."""
        self._generation += 1
        self._waiting_init = _Job(frame, box_xywh, self._generation, down, t_ready_s, framed)
        self._waiting_track = None
        self._box_xywh = (float(box_xywh[0]), float(box_xywh[1]), float(box_xywh[2]), float(box_xywh[3]))
        self._box_index = frame.index
        self._result = None
        self._history.clear()
        self._inference_rate.reset()
        self._message = ""

    def _submit_waiting(self) -> None:
        job = self._waiting_init or self._waiting_track
        if job is None or self.runner.busy:
            return
        tracker = self.tracker
        if job.box_xywh is not None:
            box = job.box_xywh
            submitted = self.runner.submit(job, lambda: tracker.initialize(job.frame, box, framed=job.framed))
        else:
            submitted = self.runner.submit(job, lambda: (self._clock(), tracker.track(job.frame), self._clock()))
        if submitted:
            if job is self._waiting_init:
                self._waiting_init = None
            else:
                self._waiting_track = None

    def _finish_steps(self, wait: bool) -> None:
        """Hand the runner its next job when it is free and apply what it finished; `wait` until it is idle."""
        while True:
            self._submit_waiting()
            outcome = self.runner.take(self.poll_s if wait else 0.0)
            if outcome is not None:
                self._apply_outcome(outcome)
                continue
            idle = not self.runner.busy and self._waiting_init is None and self._waiting_track is None
            if not wait or idle or self._stop.is_set():
                return

    def _apply_outcome(self, outcome: StepOutcome[_Job]) -> None:
        job = outcome.tag
        if job.generation != self._generation:
            return  # an answer about a target since replaced or reset
        if job.box_xywh is not None:  # initialisation
            if outcome.error is not None:
                self._message = f"selection refused: {outcome.error}"
                self._box_xywh = None
                if not isinstance(outcome.error, ValueError):
                    _LOG.error("initialisation failed: %s", outcome.error)
                return
            box = getattr(self.tracker, "box_xywh", None)
            if box is not None:
                self._box_xywh = tuple(float(v) for v in box)  # type: ignore[assignment]
            self._record_row(job, "init", None)
            return
        if outcome.error is not None:  # a failing step must not take the window down; the user re-selects
            _LOG.error("tracking step failed: %s", outcome.error, exc_info=outcome.error)
            self._message = f"tracking stopped: {type(outcome.error).__name__}: {outcome.error}"
            self._box_xywh = None
            self._result = None
            self._generation += 1
            return
        start_s, result, end_s = outcome.value  # type: ignore[misc]
        self._step_ms = (end_s - start_s) * 1e3
        self._inference_rate.tick(end_s)
        self.stats.on_step(end_s)
        self._frames_tracked += 1
        self._box_xywh = result.box_xywh
        self._box_index = job.frame.index
        self._result = result
        self._history.append(end_s, result.alpha_mean, result.score, result.alpha_per_layer)
        self._record_row(job, "failed" if result.lost else tracked_state(job.down), result)

    def _record_row(self, job: _Job, state: str, result: TrackResult | None) -> None:
        if self._recorder is not None:
            self._recorder.write_row(job.frame, state, self._box_xywh, result, latency_ms(job.t_ready_s, self._clock()))

    # The loop.

    def _next_pair(self) -> tuple[RegisteredPair | None, bool]:
        """The next pair, and whether it is a single step (tracked before it is shown)."""
        if not self._paused:
            return self.feed.wait_latest(self.poll_s), False
        if self._pending_steps == 0:
            return None, False
        self._pending_steps -= 1
        if isinstance(self.feed, ReplayControls):
            return self.feed.step(), True
        return self.feed.wait_latest(max(self.poll_s, 0.5)), True

    def _target_state(self) -> str | None:
        if self._box_xywh is None:
            return None
        return self._result.target_state if self._result is not None else "tracking"

    def _process(self, pair: RegisteredPair, single_step: bool) -> WorkerUpdate:
        frame = copy_frame(pair.frame)
        down = pair.raw.down
        t_ready_s = pair.raw.t_s
        auto_box = self.auto_select(pair) if self.auto_select is not None else None
        if auto_box is not None:
            self._request_init(frame, auto_box, down, t_ready_s)
            self._pending_box = None
        elif self._pending_box is not None:
            self._request_init(frame, self._pending_box, down, t_ready_s, self._pending_framed)
            self._pending_box = None
        elif self._box_xywh is not None and self._waiting_init is None:
            self._waiting_track = _Job(frame, None, self._generation, down, t_ready_s)
        self._finish_steps(wait=self.track_every_pair or single_step)
        self._last_frame = frame
        self._last_tir_camera = pair.raw.tir.image.copy()
        self._last_t_ready_s = t_ready_s
        self._last_down = down
        self._frames_done += 1
        self.stats.on_pair(t_ready_s, self._target_state() or "idle", down, self.feed.status())
        if self._recorder is not None:
            self._recorder.write_frame(frame, pair.raw.video_t_s, self._box_xywh, self._caption(down))
        finished = self.max_frames is not None and self._frames_done >= self.max_frames
        return self._update(with_frame=True, fresh=True, finished=finished)

    def _caption(self, down: frozenset[str]) -> FrameCaption:
        result = self._result
        note = {frozenset({"tir"}): "TIR down", frozenset({"rgb"}): "RGB down"}.get(down, "")
        if result is None:
            return FrameCaption(note=note)
        lost = result.lost or result.target_state == "lost"
        return FrameCaption(result.score, result.alpha_mean, lost, note)

    def _update(self, with_frame: bool, fresh: bool = False, finished: bool = False) -> WorkerUpdate:
        """An update; `fresh` marks a newly taken pair (a redisplay after a selection is not fresh)."""
        now_s = self._clock()
        self._last_publish_s = now_s
        replay = self.feed.position() if isinstance(self.feed, ReplayControls) else None
        feed = self.feed.status()
        shown_index = self._last_frame.index if self._last_frame is not None else 0
        return WorkerUpdate(
            frame=self._last_frame if with_frame else None,
            tir_camera=self._last_tir_camera if with_frame else None,
            box_xywh=self._box_xywh,
            box_xywh_tir=self._to_tir_grid(self._box_xywh),
            result=self._result,
            t_ready_s=self._last_t_ready_s if fresh else None,
            frames_done=self._frames_done,
            paused=self._paused,
            inference_fps=self._inference_rate.rate_hz(now_s),
            step_ms=self._step_ms,
            feed=feed,
            replay=replay,
            history=self._history.snapshot(self.history_s),
            recording_dir=None if self._recorder is None else self._recorder.out_dir,
            message=self._message,
            finished=finished,
            box_age_frames=max(0, shown_index - self._box_index) if self._box_xywh is not None else 0,
            target_state=self._target_state(),
            streams_down=feed.streams_down | self._last_down,
            frames_tracked=self._frames_tracked,
        )

    def run_once(self) -> WorkerUpdate | None:
        """Apply queued commands, take at most one pair; returns what to publish (None: nothing new)."""
        idle = self._paused and self._pending_steps == 0 and not self._redisplay
        self._drain_commands(block_s=min(self.status_interval_s, 0.1) if idle else 0.0)
        if self._stop.is_set():
            return None
        self._finish_steps(wait=False)
        if self._redisplay:
            self._redisplay = False
            return self._update(with_frame=True)
        pair, single_step = self._next_pair()
        if pair is not None:
            return self._process(pair, single_step)
        ended = self.feed.status().ended
        if self.stop_when_ended and ended:
            return self._update(with_frame=False, finished=True)
        if self._clock() - self._last_publish_s >= self.status_interval_s:
            return self._update(with_frame=False)
        return None

    def run(self, publish: Callable[[WorkerUpdate], None]) -> int:
        """Loop until stopped or finished; returns the number of pairs taken. Closes the recorder.

        At a finish (max_frames, a headless replay's end) a running step is waited for (`finish_wait_s`) so
        its row is written; when stopped (the window closing) it is not: the runner thread is left to end on
        its own and `runner.join` can wait for it later.
        """
        try:
            while not self._stop.is_set():
                update = self.run_once()
                if update is None:
                    continue
                if update.finished:
                    self._finish_steps_within(self.finish_wait_s)
                    update = self._update(with_frame=update.frame is not None, fresh=update.t_ready_s is not None, finished=True)
                publish(update)
                if update.finished:
                    break
        finally:
            self.runner.stop()
            self._apply_stop_recording()
        return self._frames_done

    def _finish_steps_within(self, timeout_s: float) -> None:
        deadline_s = self._clock() + timeout_s
        self._waiting_track = None  # no new step: only the running one is worth waiting for
        while self.runner.busy and self._clock() < deadline_s and not self._stop.is_set():
            outcome = self.runner.take(self.poll_s)
            if outcome is not None:
                self._apply_outcome(outcome)

"""Replays with play, pause, step, seek and speed: a `PairFeed` the inference worker drives itself.

The capture side's `PairSourceFeed` plays a recording on its own thread at a fixed pace; the window
also needs to pause it, step one frame, jump to a frame and change speed. `ReplayFeed` reads the same
`PairSource`s (recordings, dataset sequences, two video files) but has no thread: the worker's
`wait_latest` reads the pair that is due, so pausing is simply not asking.

At a speed s > 0 a pair recorded at time t is due (t - t0) / s after play started (re-anchored on every
pause, seek and speed change). When the reader falls behind, pairs already overdue are read and
skipped (counted), so it stays on time like a live camera; speed 0 hands out every pair at once.
Seeking uses the source's `seek(index)` where it has one, otherwise it reopens the source and reads
forward (exact, but slow over long distances).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from tpmri_live.capture.capture_thread import CaptureState
from tpmri_live.capture.feeds import FeedStatus, prepaired_feed_status
from tpmri_live.capture.recording import RecordingTap
from tpmri_live.capture.registrar import FrameRegistrar
from tpmri_live.capture.source import PairSource
from tpmri_live.capture.timed_frames import FramePair, RegisteredPair

MAX_SPEED = 64.0


@dataclass(frozen=True)
class ReplayPosition:
    """Where a replay stands, for the seek bar.

    Args:
        shown: index of the pair handed out last (-1 before the first).
        frame_count: pairs in the recording, or None when the source cannot tell.
        speed: 1 = recorded rate, 0 = every pair as fast as possible.
        playing: False while paused.
        ended: the last pair has been handed out.
    """

    shown: int
    frame_count: int | None
    speed: float
    playing: bool
    ended: bool


@runtime_checkable
class ReplayControls(Protocol):
    """What a replay answers beyond a live feed."""

    def set_playing(self, playing: bool) -> None: ...

    def step(self) -> RegisteredPair | None: ...

    def seek(self, index: int) -> None: ...

    def set_speed(self, speed: float) -> None: ...

    def position(self) -> ReplayPosition: ...


def checked_speed(speed: float) -> float:
    if not (math.isfinite(speed) and 0 <= speed <= MAX_SPEED):
        raise ValueError(f"replay speed must be between 0 (every frame) and {MAX_SPEED:g}, got {speed}")
    return float(speed)


def pair_count(source: PairSource) -> int | None:
    """Pairs in a recorded source when it can tell without reading them (None otherwise)."""
    try:
        return len(source)  # type: ignore[arg-type]
    except TypeError:
        pass
    counts = []
    for stream in (getattr(source, "rgb", None), getattr(source, "tir", None)):
        if stream is None:
            return None
        try:
            counts.append(len(stream))
            continue
        except TypeError:
            pass
        frame_count = getattr(stream, "frame_count", None)
        if not isinstance(frame_count, int) or frame_count <= 0:
            return None
        counts.append(frame_count)
    return max(counts) if counts else None  # past the shorter stream's end, the longer one plays alone


class ReplayFeed:
    """Plays a `PairSource` under the worker's control (see the module docstring).

    Args:
        source: the recording (not opened yet; `start()` opens it).
        registrar: registers pairs onto the RGB grid (with the calibration, if any).
        speed: initial speed (1 = recorded rate, 0 = every pair as fast as possible).
        loop: start again from the first pair after the last one.
        recording: the tap raw pairs are recorded through (`--record`); a new one by default.
        clock: time.monotonic, or a fake in tests.
    """

    def __init__(
        self,
        source: PairSource,
        registrar: FrameRegistrar | None = None,
        speed: float = 1.0,
        loop: bool = False,
        recording: RecordingTap | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.loop = loop
        self.name = source.name
        self.registrar = registrar or FrameRegistrar()
        self.recording = recording or RecordingTap()
        self._speed = checked_speed(speed)
        self._clock = clock
        self._wake = threading.Event()
        self._source_lock = threading.Lock()  # reads (worker thread) against close (any thread)
        self._opened = False
        self._closed = False
        self._playing = True
        self._ended = False
        self._lookahead: FramePair | None = None
        self._next_index = 0  # index of the next pair read() returns
        self._shown = -1
        self._frame_count: int | None = None
        self._anchor_wall_s = 0.0
        self._anchor_media_s: float | None = None
        self._last_media_s: float | None = None  # recorded time of the pair handed out last
        self._played = 0
        self._skipped = 0
        self._deliveries: deque[float] = deque(maxlen=32)
        self._last_pair: FramePair | None = None

    # PairFeed.

    def start(self) -> None:
        """Open the source (its UserError reaches the caller)."""
        with self._source_lock:
            self.source.open()
        self._opened = True
        self._frame_count = pair_count(self.source)
        self._reanchor()

    def _read(self) -> FramePair | None:
        if self._lookahead is not None:
            pair, self._lookahead = self._lookahead, None
            return pair
        if self._ended or not self._opened or self._closed:
            return None
        with self._source_lock:
            pair = None if self._closed else self.source.read()
        if pair is None:
            self._ended = True
            if self._frame_count is None or self._frame_count > self._next_index:
                self._frame_count = self._next_index
            return None
        self._next_index += 1
        return pair

    def _peek(self) -> FramePair | None:
        if self._lookahead is None:
            self._lookahead = self._read()
        return self._lookahead

    def _reanchor(self, media_s: float | None = None) -> None:
        """Restart the pace now at recorded time `media_s` (None: the next pair is due at once)."""
        self._anchor_wall_s = self._clock()
        self._anchor_media_s = media_s

    def _due_media_s(self, now_s: float) -> float | None:
        if self._anchor_media_s is None:
            return None
        return self._anchor_media_s + (now_s - self._anchor_wall_s) * self._speed

    def _deliver(self, pair: FramePair) -> RegisteredPair:
        now_s = self._clock()
        self._shown = pair.index
        self._played += 1
        self._deliveries.append(now_s)
        self._last_pair = pair
        self._last_media_s = pair.t_s
        # Onto the monotonic clock (latency counts from here); the recorded time stays for the video's timing.
        live_pair = replace(pair.shifted(now_s - pair.t_s), t_media_s=pair.t_s if pair.t_media_s is None else pair.t_media_s)
        if not live_pair.down:
            self.recording.write(live_pair)
        return self.registrar.register(live_pair)

    def _idle(self, timeout_s: float) -> None:
        if timeout_s > 0:
            self._wake.wait(timeout_s)
        self._wake.clear()

    def wait_latest(self, timeout_s: float = 0.1) -> RegisteredPair | None:
        """The pair due now (skipping overdue ones), waiting at most `timeout_s`; None while paused or ended."""
        if self._closed or not self._playing:
            self._idle(timeout_s)
            return None
        pair = self._peek()
        if pair is None and self.loop and self._next_index > 0:
            self.seek(0)
            pair = self._peek()
        if pair is None:
            self._idle(timeout_s)
            return None
        if self._speed == 0:
            return self._deliver(self._read())  # type: ignore[arg-type]
        if self._anchor_media_s is None:
            self._anchor_media_s = pair.t_s
            self._anchor_wall_s = self._clock()
        due_s = self._due_media_s(self._clock())
        assert due_s is not None
        wait_s = (pair.t_s - due_s) / self._speed
        if wait_s > timeout_s:
            self._idle(timeout_s)
            return None
        if wait_s > 0:
            self._wake.wait(wait_s)
            self._wake.clear()
            if self._closed or not self._playing:
                return None
        current = self._read()
        assert current is not None
        due_s = self._due_media_s(self._clock())
        while (following := self._peek()) is not None and due_s is not None and following.t_s <= due_s:
            self._skipped += 1
            current = self._read()
            assert current is not None
        return self._deliver(current)

    def status(self) -> FeedStatus:
        state = CaptureState.CLOSED if self._closed else (CaptureState.ENDED if self.ended else CaptureState.LIVE)
        fps = self._delivery_rate() if self._playing else 0.0
        return prepaired_feed_status(
            self.name,
            state,
            played=self._played,
            fps=fps,
            skipped=self._skipped,
            last=self._last_pair,
            last_error="",
            ended=self.ended,
        )

    def _delivery_rate(self) -> float:
        times = self._deliveries
        if len(times) < 2 or self._clock() - times[-1] > 1.0 or times[-1] <= times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def close(self, timeout_s: float = 1.0) -> bool:
        """Release the files once no read is running; wakes a waiting `wait_latest`. Safe from any thread, twice."""
        self._closed = True
        self._wake.set()
        self.recording.stop()
        if not self._source_lock.acquire(timeout=timeout_s):
            return False
        try:
            self.source.close()
        finally:
            self._source_lock.release()
        return True

    # Replay controls (called from the worker's thread).

    @property
    def ended(self) -> bool:
        return self._ended and self._lookahead is None

    def set_playing(self, playing: bool) -> None:
        """Pause or play; playing resumes one recorded frame interval after the pair on screen."""
        if playing and not self._playing:
            self._reanchor(self._last_media_s)
        self._playing = playing
        self._wake.set()

    def step(self) -> RegisteredPair | None:
        """The next pair now, playing or paused; None at the end."""
        pair = self._read()
        self._reanchor()
        return None if pair is None else self._deliver(pair)

    def seek(self, index: int) -> None:
        """Make pair `index` the next one (clamped to the recording)."""
        index = max(0, int(index))
        if self._frame_count is not None:
            index = min(index, max(0, self._frame_count - 1))
        self._lookahead = None
        seek = getattr(self.source, "seek", None)
        if callable(seek):
            with self._source_lock:
                seek(index)
            self._next_index = index
            self._ended = False
        else:
            if index < self._next_index or self._ended:
                with self._source_lock:
                    if self._closed:
                        return
                    self.source.close()
                    self.source.open()
                self._next_index = 0
                self._ended = False
            while self._next_index < index and self._read() is not None:
                pass
        self._reanchor()
        self._wake.set()

    def set_speed(self, speed: float) -> None:
        """Change speed without a jump: the recorded time due now stays due now."""
        due_s = self._due_media_s(self._clock()) if self._speed > 0 else self._last_media_s
        self._speed = checked_speed(speed)
        self._reanchor(due_s)
        self._wake.set()

    def position(self) -> ReplayPosition:
        return ReplayPosition(
            shown=self._shown,
            frame_count=self._frame_count,
            speed=self._speed,
            playing=self._playing,
            ended=self.ended,
        )

"""Read one live source on its own thread, keep only its newest frames, and survive the camera dropping out.

    thread = CaptureThread(source, on_frame=pairer_callback)
    thread.start()            # opens the source here, in the caller: SourceOpenError names the camera
    thread.status()           # CaptureStatus: state (live / lost / reconnecting / ended / closed), fps, ...
    thread.latest()           # newest TimedFrame or None; thread.recent() the ring buffer
    thread.close()            # returns within `timeout_s` (1 s by default)

When `read()` raises `SourceLost` (or anything unexpected), the state becomes LOST, the source is
closed and reopened after a growing delay (0.25 s doubling to 5 s) with state RECONNECTING, until it
answers again (LIVE) or the thread is closed. The other camera's thread is unaffected. Nothing waits
on the consumer: frames go into a bounded ring (old ones fall out) and to `on_frame`, which must return
quickly (the pairer's push does).

Closing sets a stop flag that every wait checks. A read blocked inside a driver cannot be interrupted
(releasing an OpenCV capture from another thread is unsafe), so `close()` waits at most `timeout_s`,
then leaves the daemon thread to release the device when the driver returns, and reports False.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from tpmri_live.capture.errors import SourceLost
from tpmri_live.capture.source import FrameSource
from tpmri_live.capture.timed_frames import TimedFrame

_LOG = logging.getLogger(__name__)


class CaptureState(Enum):
    STARTING = "starting"
    LIVE = "live"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    CLOSED = "closed"


@dataclass(frozen=True)
class CaptureStatus:
    """What the window shows about one stream.

    Args:
        name: the source's name.
        state: see CaptureState.
        frames: frames delivered since start.
        fps: delivered frames per second over the last second or so (0 when stalled).
        reconnects: successful reopenings after a loss.
        last_error: the last failure message, '' if none.
        t_last_frame: capture time of the newest frame, None before the first.
    """

    name: str
    state: CaptureState
    frames: int
    fps: float
    reconnects: int
    last_error: str
    t_last_frame: float | None


@dataclass
class Backoff:
    """Delays between reopening attempts: `initial_s`, times `factor` per failure, at most `max_s`."""

    initial_s: float = 0.25
    factor: float = 2.0
    max_s: float = 5.0
    _next_s: float | None = None

    def next_delay_s(self) -> float:
        delay = self.initial_s if self._next_s is None else self._next_s
        self._next_s = min(delay * self.factor, self.max_s)
        return delay

    def reset(self) -> None:
        self._next_s = None


class CaptureThread:
    """Runs `source.read()` in a loop on a daemon thread.

    Args:
        source: a FrameSource (normally a live camera).
        on_frame: called on the capture thread with every frame; must be quick and must not block.
        ring_size: newest frames kept for `recent()`.
        backoff: reopening delays after a loss.
        reconnect: reopen after a loss (False: end the thread with state LOST).
        clock: time source for the fps estimate.
    """

    def __init__(
        self,
        source: FrameSource,
        on_frame: Callable[[TimedFrame], None] | None = None,
        ring_size: int = 4,
        backoff: Backoff | None = None,
        reconnect: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self._on_frame = on_frame
        self._ring: deque[TimedFrame] = deque(maxlen=ring_size)
        self._backoff = backoff or Backoff()
        self._reconnect = reconnect
        self._clock = clock
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._state = CaptureState.STARTING
        self._frames = 0
        self._reconnects = 0
        self._last_error = ""
        self._arrivals: deque[float] = deque(maxlen=120)
        self._state_changed = threading.Condition(self._lock)

    def start(self) -> None:
        """Open the source (raising SourceOpenError here, in the caller) and start reading."""
        if self._thread is not None:
            raise RuntimeError("capture thread already started")
        self.source.open()
        self._thread = threading.Thread(target=self._run, name=f"capture {self.source.name}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop without waiting (close several threads in parallel, then close each)."""
        self._stop.set()

    def close(self, timeout_s: float = 1.0) -> bool:
        """Stop reading and release the source; True if the thread ended within `timeout_s`."""
        self._stop.set()
        thread = self._thread
        if thread is None:
            self.source.close()
            self._set_state(CaptureState.CLOSED)
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            _LOG.warning("%s is blocked in its driver; it will be released when the driver returns", self.source.name)
            return False
        return True

    def latest(self) -> TimedFrame | None:
        with self._lock:
            return self._ring[-1] if self._ring else None

    def recent(self) -> list[TimedFrame]:
        """The ring buffer, oldest first."""
        with self._lock:
            return list(self._ring)

    @property
    def state(self) -> CaptureState:
        with self._lock:
            return self._state

    def wait_for_state(self, states: set[CaptureState] | CaptureState, timeout_s: float) -> bool:
        """Block until the state is one of `states` (for tests and start-up); False on timeout."""
        wanted = {states} if isinstance(states, CaptureState) else states
        with self._state_changed:
            return self._state_changed.wait_for(lambda: self._state in wanted, timeout_s)

    def status(self) -> CaptureStatus:
        now = self._clock()
        with self._lock:
            recent = [t for t in self._arrivals if now - t <= 1.0]
            fps = (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) >= 2 and recent[-1] > recent[0] else 0.0
            return CaptureStatus(
                name=self.source.name,
                state=self._state,
                frames=self._frames,
                fps=fps,
                reconnects=self._reconnects,
                last_error=self._last_error,
                t_last_frame=self._ring[-1].t_s if self._ring else None,
            )

    def _set_state(self, state: CaptureState, error: str | None = None) -> None:
        with self._state_changed:
            self._state = state
            if error is not None:
                self._last_error = error
            self._state_changed.notify_all()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    frame = self.source.read()
                except SourceLost as error:
                    if not self._recover(str(error)):
                        return
                    continue
                except Exception as error:  # a driver or decoder bug must not kill capture silently
                    _LOG.exception("%s failed while reading", self.source.name)
                    if not self._recover(f"{type(error).__name__}: {error}"):
                        return
                    continue
                if frame is None:
                    self._set_state(CaptureState.ENDED)
                    return
                self._deliver(frame)
        finally:
            self.source.close()
            if self._stop.is_set():
                self._set_state(CaptureState.CLOSED)

    def _deliver(self, frame: TimedFrame) -> None:
        with self._state_changed:
            self._ring.append(frame)
            self._frames += 1
            self._arrivals.append(self._clock())
            if self._state is not CaptureState.LIVE:
                self._state = CaptureState.LIVE
                self._state_changed.notify_all()
        if self._on_frame is not None:
            try:
                self._on_frame(frame)
            except Exception:
                _LOG.exception("frame callback of %s failed", self.source.name)

    def _recover(self, error: str) -> bool:
        """Close, then reopen with backoff until it works (True) or we are stopped (False)."""
        _LOG.warning("%s lost: %s", self.source.name, error)
        self._set_state(CaptureState.LOST, error)
        self.source.close()
        if not self._reconnect:
            return False
        self._backoff.reset()
        while not self._stop.wait(self._backoff.next_delay_s()):
            self._set_state(CaptureState.RECONNECTING)
            try:
                self.source.open()
            except Exception as open_error:  # SourceOpenError, driver errors: keep trying
                self._set_state(CaptureState.RECONNECTING, str(open_error))
                continue
            with self._lock:
                self._reconnects += 1
            _LOG.info("%s reconnected", self.source.name)
            return True
        return False

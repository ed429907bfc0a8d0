"""Feeds: what the inference loop reads. One interface for live cameras, replays and the synthetic scene.

    feed = open_feed(FeedSpec(rgb="0", tir="/dev/video2", calibration="calibration.json"))
    feed.start()                                  # opens the sources: SourceOpenError names the one that failed
    while running:
        item = feed.wait_latest(timeout_s=0.1)    # newest RegisteredPair not yet taken, or None
        if item is not None:
            result = tracker.track(item.frame)    # item.frame: RGBTFrame, thermal on the RGB grid
        status = feed.status()                    # FeedStatus: per-camera state, fps, pairs, drops, skew
    feed.close()                                  # threads stop within 1 s

`feed.recording.start(PairRecorder(folder))` records every pair the feed forms (see `recording`).

The newest pair always wins: a consumer slower than the cameras skips pairs (counted in
`FeedStatus.skipped`) rather than falling behind, and no queue grows. `CameraPairFeed` runs one
`CaptureThread` per camera and a `FramePairer`; `PairSourceFeed` plays a `PairSource` (synthetic,
replay, two video files) on one thread, paced at the recorded rate (or as fast as possible), with
timestamps moved onto `time.monotonic()` so both feeds look alike. To process every frame of a recording
(evaluation, no drops), iterate the `PairSource` directly instead of playing it through a feed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from tpmri_live.capture.capture_thread import Backoff, CaptureState, CaptureStatus, CaptureThread
from tpmri_live.capture.dead_stream import is_down, single_stream_pair
from tpmri_live.capture.pairing import FramePairer, Modality
from tpmri_live.capture.registrar import FrameRegistrar
from tpmri_live.capture.latest_slot import LatestPairSlot
from tpmri_live.capture.recording import RecordingTap
from tpmri_live.capture.source import FrameSource, PairSource
from tpmri_live.capture.timed_frames import FramePair, RegisteredPair, TimedFrame

_LOG = logging.getLogger(__name__)
Pace = Literal["recorded", "fast"]
# A replay running later than this behind its schedule restarts the schedule instead of bursting to catch up.
MAX_REPLAY_LAG_S = 0.1


@dataclass(frozen=True)
class FeedStatus:
    """A snapshot of a feed for the status bar.

    Args:
        rgb, tir: each stream's status (a replay reports its one reader thread for both).
        pairs: pairs formed (camera feeds) or played (replays).
        dropped: pairs not formed because the cameras' frames were too far apart in time (or one was silent).
        skipped: pairs replaced by a newer one before the consumer took them.
        max_skew_s: the pairing tolerance in force (None for replays, which were paired when recorded).
        last_skew_s: skew of the newest pair considered.
        ended: a recorded source has played to its end (live feeds never end by themselves).
        streams_down: the modalities whose stream is down ('rgb', 'tir'): the feed goes on with the other
            one alone (see `dead_stream`).
    """

    rgb: CaptureStatus
    tir: CaptureStatus
    pairs: int
    dropped: int
    skipped: int
    max_skew_s: float | None
    last_skew_s: float | None
    ended: bool
    streams_down: frozenset[str] = field(default_factory=frozenset)


class PairFeed(Protocol):
    """The interface the inference loop and the window use."""

    name: str
    registrar: FrameRegistrar
    recording: RecordingTap

    def start(self) -> None: ...

    def wait_latest(self, timeout_s: float) -> RegisteredPair | None: ...

    def status(self) -> FeedStatus: ...

    def close(self) -> bool: ...


class CameraPairFeed:
    """Two live cameras, each on its own CaptureThread, paired by capture time; one alone when the other is down.

    While one camera is down (its thread lost or reconnecting, or no frame for a few of its frame periods),
    every frame of the other becomes a single-stream pair (`dead_stream.single_stream_pair`); pairing
    resumes by itself with the first frames of the camera that came back.

    Args:
        rgb_source, tir_source: live FrameSources.
        registrar: registers pairs (holds the calibration); stretch-to-fit without one.
        pairer: the pairing rule (tolerance, ring size); default FramePairer().
        backoff_factory: makes each thread's reopening delays.
    """

    def __init__(
        self,
        rgb_source: FrameSource,
        tir_source: FrameSource,
        registrar: FrameRegistrar | None = None,
        pairer: FramePairer | None = None,
        backoff_factory: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.name = f"{rgb_source.name} + {tir_source.name}"
        self.registrar = registrar or FrameRegistrar()
        self.pairer = pairer or FramePairer(rgb_fps=rgb_source.nominal_fps, tir_fps=tir_source.nominal_fps)
        self.recording = RecordingTap()
        self._pair_lock = threading.Lock()
        self._slot = LatestPairSlot()
        self._next_index = 0
        self._shapes: dict[Modality, tuple[int, ...]] = {}
        self._threads: dict[Modality, CaptureThread] = {
            "rgb": CaptureThread(rgb_source, lambda frame: self._push("rgb", frame), backoff=backoff_factory()),
            "tir": CaptureThread(tir_source, lambda frame: self._push("tir", frame), backoff=backoff_factory()),
        }

    def start(self) -> None:
        """Open both cameras (a SourceOpenError names the failing one) and start capturing."""
        self._threads["rgb"].start()
        try:
            self._threads["tir"].start()
        except BaseException:
            self._threads["rgb"].close()
            raise

    def _stream_down(self, modality: Modality, now_s: float) -> bool:
        status = self._threads[modality].status()
        return is_down(status.state, status.t_last_frame, self.pairer.period_s(modality), now_s)

    def _dead_shape(self, modality: Modality, live: TimedFrame) -> tuple[int, ...]:
        if modality in self._shapes:
            return self._shapes[modality]
        height, width = live.image.shape[:2]
        return (height, width, 3) if modality == "rgb" else (height, width)

    def _push(self, modality: Modality, frame: TimedFrame) -> None:
        other: Modality = "tir" if modality == "rgb" else "rgb"
        with self._pair_lock:
            self._shapes[modality] = frame.image.shape
            if self._stream_down(other, frame.t_s):
                pairs = [single_stream_pair(frame, modality, 0, self._dead_shape(other, frame))]
            else:
                pairs = self.pairer.push(modality, frame)
            numbered = []
            for pair in pairs:
                numbered.append(replace(pair, index=self._next_index))
                self._next_index += 1
        for pair in numbered:
            if not pair.down:
                self.recording.write(pair)  # recordings hold real pairs only
            self._slot.publish(pair)

    def wait_latest(self, timeout_s: float = 0.1) -> RegisteredPair | None:
        pair = self._slot.take(timeout_s)
        return None if pair is None else self.registrar.register(pair)

    def capture_thread(self, modality: Modality) -> CaptureThread:
        return self._threads[modality]

    def status(self) -> FeedStatus:
        now_s = time.monotonic()
        with self._pair_lock:
            stats = self.pairer.stats
            down = frozenset(modality for modality in ("rgb", "tir") if self._stream_down(modality, now_s))  # type: ignore[arg-type]
        return FeedStatus(
            rgb=self._threads["rgb"].status(),
            tir=self._threads["tir"].status(),
            pairs=self._next_index,
            dropped=stats.dropped,
            skipped=self._slot.skipped,
            max_skew_s=stats.max_skew_s,
            last_skew_s=stats.last_skew_s,
            ended=False,
            streams_down=down,
        )

    def close(self, timeout_s: float = 1.0) -> bool:
        """Stop both threads (in parallel) within `timeout_s`; False if a driver kept one blocked."""
        for thread in self._threads.values():
            thread.request_stop()
        self._slot.close()
        deadline = time.monotonic() + timeout_s
        stopped = [thread.close(max(0.0, deadline - time.monotonic())) for thread in self._threads.values()]
        self.recording.stop()
        return all(stopped)


class PairSourceFeed:
    """Plays a PairSource on one thread, newest pair wins, like a live feed.

    Args:
        source: the pairs (synthetic scene, replay, merged files).
        registrar: registers pairs; stretch-to-fit without a calibration.
        pace: 'recorded' plays at the recorded rate; 'fast' as fast as the source reads.
        loop: start again at the end instead of ending (demo, kiosk).
        clock: monotonic time source.
    """

    def __init__(
        self,
        source: PairSource,
        registrar: FrameRegistrar | None = None,
        pace: Pace = "recorded",
        loop: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if pace not in ("recorded", "fast"):
            raise ValueError(f"pace must be 'recorded' or 'fast', got {pace!r}")
        self.name = source.name
        self.source = source
        self.registrar = registrar or FrameRegistrar()
        self.pace = pace
        self.loop = loop
        self.recording = RecordingTap()
        self._clock = clock
        self._slot = LatestPairSlot()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._state = CaptureState.STARTING
        self._last_error = ""
        self._arrivals: list[float] = []
        self._played = 0
        self._last_pair: FramePair | None = None

    def start(self) -> None:
        """Open the source here (errors reach the caller) and start playing."""
        self.source.open()
        self._thread = threading.Thread(target=self._run, name=f"replay {self.name}", daemon=True)
        self._thread.start()

    def wait_latest(self, timeout_s: float = 0.1) -> RegisteredPair | None:
        pair = self._slot.take(timeout_s)
        return None if pair is None else self.registrar.register(pair)

    def wait_until_ended(self, timeout_s: float) -> bool:
        """Block until the source has played out (tests, batch runs); False on timeout."""
        thread = self._thread
        if thread is None:
            return False
        thread.join(timeout_s)
        return not thread.is_alive()

    def _run(self) -> None:
        offset_s: float | None = None
        try:
            while not self._stop.is_set():
                try:
                    pair = self.source.read()
                    if pair is None and self.loop:
                        self.source.close()
                        self.source.open()
                        offset_s = None
                        continue
                except Exception as error:  # an unreadable file ends the replay, visibly
                    _LOG.error("%s failed: %s", self.name, error)
                    self._set_state(CaptureState.LOST, str(error))
                    return
                if pair is None:
                    self._set_state(CaptureState.ENDED)
                    return
                now = self._clock()
                if self.pace == "fast" or offset_s is None or now - (pair.t_s + offset_s) > MAX_REPLAY_LAG_S:
                    # Fast, first pair, or the source fell behind (a slow disk, a new synthetic scene):
                    # stamp it now rather than in the past, and keep the recorded pace from here.
                    offset_s = now - pair.t_s
                elif (wait_s := pair.t_s + offset_s - now) > 0 and self._stop.wait(wait_s):
                    return
                self._publish(pair.shifted(offset_s))
        finally:
            self.source.close()
            if self._stop.is_set():
                self._set_state(CaptureState.CLOSED)

    def _publish(self, pair: FramePair) -> None:
        with self._lock:
            self._played += 1
            self._last_pair = pair
            self._arrivals = [t for t in self._arrivals if pair.t_s - t <= 1.0] + [pair.t_s]
            self._state = CaptureState.LIVE
        self.recording.write(pair)
        self._slot.publish(pair)

    def _set_state(self, state: CaptureState, error: str | None = None) -> None:
        with self._lock:
            self._state = state
            if error is not None:
                self._last_error = error

    def status(self) -> FeedStatus:
        now = self._clock()
        with self._lock:
            recent = [t for t in self._arrivals if now - t <= 1.0]
            fps = (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) >= 2 and recent[-1] > recent[0] else 0.0
            return prepaired_feed_status(
                self.name,
                self._state,
                played=self._played,
                fps=fps,
                skipped=self._slot.skipped,
                last=self._last_pair,
                last_error=self._last_error,
                ended=self._state in (CaptureState.ENDED, CaptureState.LOST),
            )

    def close(self, timeout_s: float = 1.0) -> bool:
        self._stop.set()
        self._slot.close()
        if self._thread is not None:
            self._thread.join(timeout_s)
        else:
            self.source.close()
        self.recording.stop()
        return self._thread is None or not self._thread.is_alive()


def prepaired_feed_status(
    name: str,
    state: CaptureState,
    played: int,
    fps: float,
    skipped: int,
    last: FramePair | None,
    last_error: str,
    ended: bool,
) -> FeedStatus:
    """Status of a feed whose RGB and thermal frames arrive already paired (replays, synthetic scenes):
    both streams share one state and rate, and nothing is ever dropped by pairing; a stream the newest
    pair lacks (a recording that ended before the other) reads 'ended' and is listed as down."""
    down = frozenset() if last is None else last.down
    statuses = [
        CaptureStatus(
            name=f"{name} ({modality})",
            state=CaptureState.ENDED if modality in down and state is CaptureState.LIVE else state,
            frames=played,
            fps=fps,
            reconnects=0,
            last_error=last_error,
            t_last_frame=None if last is None else (last.rgb.t_s if modality == "rgb" else last.tir.t_s),
        )
        for modality in ("rgb", "tir")
    ]
    return FeedStatus(
        rgb=statuses[0],
        tir=statuses[1],
        pairs=played,
        dropped=0,
        skipped=skipped,
        max_skew_s=None,
        last_skew_s=None if last is None else last.skew_s,
        ended=ended,
        streams_down=down,
    )

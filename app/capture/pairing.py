"""Match RGB and thermal frames by capture time.

`FramePairer` is plain logic with no threads or clocks, fed frames in arrival order and returning the
pairs each frame completes; `CameraPairFeed` calls it from the capture threads (under a lock) and
`merge_streams` from one thread for recorded files. Tests drive it with made-up timestamps.

The rule:
- The *key* stream is the slower one (measured from the frame intervals; the nominal rates, where
  given, until three intervals are known; thermal before each stream has two frames; switching only when the other stream is
  clearly slower, by 10%). Every key frame yields at most one pair, so once the key is settled no pair
  repeats a key frame and the pair rate is the slower camera's rate.
- A key frame waits until the other stream has delivered a frame at or after its time (or until the
  next key frame arrives); then its partner is the nearest frame in the other stream's ring buffer
  (the last `ring_size` frames, which must cover the difference in delivery delay of the two cameras).
- A pair whose skew exceeds the tolerance is dropped and counted. The default tolerance is 0.75 of the
  faster stream's period: two regular streams are never more than half that period apart, so the
  extra quarter absorbs timestamp jitter, while a missed frame of the faster stream (skew up to a whole
  period) or a stalled camera still drops. Before rates are known a 30 fps period is assumed.
Everything held is bounded: two rings of `ring_size` frames, one pending key frame, a few counters.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from statistics import median
from typing import Literal

from tpmri_live.capture.timed_frames import FramePair, TimedFrame

Modality = Literal["rgb", "tir"]
DEFAULT_PERIOD_S = 1.0 / 30.0
DEFAULT_SKEW_FRACTION = 0.75
KEY_SWITCH_RATIO = 1.1
# Intervals needed before a measured period replaces the nominal one.
MIN_INTERVALS = 3


@dataclass(frozen=True)
class PairerStats:
    """Counters of a pairer, for the status display and the tests.

    Args:
        rgb_frames, tir_frames: frames pushed per stream.
        pairs: pairs emitted.
        dropped_skew: key frames whose nearest partner was further away than the tolerance.
        dropped_unmatched: key frames for which the other stream had no frame at all.
        key_stream: the stream pairs are keyed on now.
        max_skew_s: the tolerance in force now.
        last_skew_s: skew of the last matched key frame (emitted or dropped), None before any.
        buffered_frames: frames held now (ring buffers plus the pending key frame).
    """

    rgb_frames: int
    tir_frames: int
    pairs: int
    dropped_skew: int
    dropped_unmatched: int
    key_stream: str
    max_skew_s: float
    last_skew_s: float | None
    buffered_frames: int

    @property
    def dropped(self) -> int:
        return self.dropped_skew + self.dropped_unmatched


class FramePairer:
    """Pairs two timestamped streams (see the module docstring for the rule). Not thread-safe.

    Args:
        max_skew_s: fixed tolerance in seconds; None derives it from the measured rates.
        skew_fraction: the derived tolerance as a fraction of the faster stream's period.
        ring_size: frames kept per stream to search partners in.
        key_stream: 'auto' (the slower stream), or 'rgb' / 'tir' to fix it.
        rgb_fps, tir_fps: nominal rates, used until enough intervals are measured.
        period_window: intervals kept per stream for the median period.
    """

    def __init__(
        self,
        max_skew_s: float | None = None,
        skew_fraction: float = DEFAULT_SKEW_FRACTION,
        ring_size: int = 8,
        key_stream: Literal["auto", "rgb", "tir"] = "auto",
        rgb_fps: float | None = None,
        tir_fps: float | None = None,
        period_window: int = 16,
    ) -> None:
        if max_skew_s is not None and max_skew_s <= 0:
            raise ValueError(f"max_skew_s must be positive, got {max_skew_s}")
        if key_stream not in ("auto", "rgb", "tir"):
            raise ValueError(f"key_stream must be 'auto', 'rgb' or 'tir', got {key_stream!r}")
        if ring_size < 1:
            raise ValueError(f"ring_size must be at least 1, got {ring_size}")
        self.max_skew_s = max_skew_s
        self.skew_fraction = skew_fraction
        self._auto_key = key_stream == "auto"
        self._key: Modality = "tir" if key_stream == "auto" else key_stream
        self._rings: dict[Modality, deque[TimedFrame]] = {"rgb": deque(maxlen=ring_size), "tir": deque(maxlen=ring_size)}
        self._intervals: dict[Modality, deque[float]] = {
            "rgb": deque(maxlen=period_window),
            "tir": deque(maxlen=period_window),
        }
        self._nominal_period: dict[Modality, float | None] = {
            "rgb": 1.0 / rgb_fps if rgb_fps else None,
            "tir": 1.0 / tir_fps if tir_fps else None,
        }
        self._last_t: dict[Modality, float | None] = {"rgb": None, "tir": None}
        self._counts: dict[Modality, int] = {"rgb": 0, "tir": 0}
        self._pending: TimedFrame | None = None
        self._pairs = 0
        self._dropped_skew = 0
        self._dropped_unmatched = 0
        self._last_skew_s: float | None = None

    def push_rgb(self, frame: TimedFrame) -> list[FramePair]:
        return self.push("rgb", frame)

    def push_tir(self, frame: TimedFrame) -> list[FramePair]:
        return self.push("tir", frame)

    def push(self, modality: Modality, frame: TimedFrame) -> list[FramePair]:
        """Take one frame; return the pairs it completed (usually zero or one)."""
        completed: list[FramePair] = []
        self._counts[modality] += 1
        last_t = self._last_t[modality]
        if last_t is not None and frame.t_s > last_t:
            self._intervals[modality].append(frame.t_s - last_t)
        self._last_t[modality] = frame.t_s
        self._update_key(completed)
        self._rings[modality].append(frame)
        if modality == self._key:
            if self._pending is not None:
                self._resolve(final=True, completed=completed)
            self._pending = frame
        if self._pending is not None:
            self._resolve(final=False, completed=completed)
        return completed

    def flush(self) -> list[FramePair]:
        """At the end of the streams: settle the pending key frame with what has arrived."""
        completed: list[FramePair] = []
        if self._pending is not None:
            self._resolve(final=True, completed=completed)
        return completed

    def period_s(self, modality: Modality) -> float | None:
        """The stream's frame period: median of recent intervals (the nominal rate until three are known), or None."""
        intervals = self._intervals[modality]
        nominal = self._nominal_period[modality]
        if len(intervals) >= MIN_INTERVALS or (intervals and nominal is None):
            return median(intervals)
        return nominal

    def tolerance_s(self) -> float:
        if self.max_skew_s is not None:
            return self.max_skew_s
        periods = [p for p in (self.period_s("rgb"), self.period_s("tir")) if p is not None]
        return self.skew_fraction * (min(periods) if periods else DEFAULT_PERIOD_S)

    @property
    def key_stream(self) -> Modality:
        return self._key

    @property
    def stats(self) -> PairerStats:
        return PairerStats(
            rgb_frames=self._counts["rgb"],
            tir_frames=self._counts["tir"],
            pairs=self._pairs,
            dropped_skew=self._dropped_skew,
            dropped_unmatched=self._dropped_unmatched,
            key_stream=self._key,
            max_skew_s=self.tolerance_s(),
            last_skew_s=self._last_skew_s,
            buffered_frames=len(self._rings["rgb"]) + len(self._rings["tir"]) + (self._pending is not None),
        )

    def _update_key(self, completed: list[FramePair]) -> None:
        if not self._auto_key:
            return
        other: Modality = "rgb" if self._key == "tir" else "tir"
        key_period, other_period = self.period_s(self._key), self.period_s(other)
        if key_period is None or other_period is None or other_period <= key_period * KEY_SWITCH_RATIO:
            return
        if self._pending is not None:
            self._resolve(final=True, completed=completed)
        self._key = other

    def _resolve(self, final: bool, completed: list[FramePair]) -> None:
        key = self._pending
        assert key is not None
        other: Modality = "rgb" if self._key == "tir" else "tir"
        ring = self._rings[other]
        if not ring:
            if final:
                self._pending = None
                self._dropped_unmatched += 1
            return
        if not final and max(frame.t_s for frame in ring) < key.t_s:
            return  # a closer partner may still arrive
        self._pending = None
        partner = min(ring, key=lambda frame: abs(frame.t_s - key.t_s))
        skew_s = abs(partner.t_s - key.t_s)
        self._last_skew_s = skew_s
        if skew_s > self.tolerance_s():
            self._dropped_skew += 1
            return
        rgb, tir = (key, partner) if self._key == "rgb" else (partner, key)
        completed.append(FramePair(rgb, tir, self._pairs))
        self._pairs += 1


def timestamp_order(
    rgb_frames: Iterable[TimedFrame], tir_frames: Iterable[TimedFrame]
) -> Iterator[tuple[Modality, TimedFrame | None]]:
    """Both recorded streams' frames in time order (RGB first on ties), read lazily; `(modality, None)`
    follows a stream's last frame, before any later frame of the other, so a reader knows the moment it ended."""

    def tagged(
        frames: Iterable[TimedFrame], modality: Modality, rank: int
    ) -> Iterator[tuple[float, int, Modality, TimedFrame | None]]:
        t_last_s = -math.inf
        for frame in frames:
            t_last_s = frame.t_s
            yield frame.t_s, rank, modality, frame
        yield t_last_s, 2, modality, None  # sorts after every frame of that time

    merged = heapq.merge(tagged(rgb_frames, "rgb", 0), tagged(tir_frames, "tir", 1), key=lambda item: (item[0], item[1]))
    for _, _, modality, frame in merged:
        yield modality, frame


def merge_streams(
    rgb_frames: Iterable[TimedFrame], tir_frames: Iterable[TimedFrame], pairer: FramePairer | None = None
) -> Iterator[FramePair]:
    """Pair two recorded streams offline: feed both to a pairer in timestamp order, yield every pair."""
    pairer = pairer or FramePairer()
    for modality, frame in timestamp_order(rgb_frames, tir_frames):
        if frame is not None:
            yield from pairer.push(modality, frame)
    yield from pairer.flush()

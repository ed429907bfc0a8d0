"""The values that travel through capture: one camera's timestamped frame, and a matched RGB-T pair.

All live timestamps are seconds on `time.monotonic()` (cameras stamp frames when they are grabbed;
replays are re-stamped onto that clock as they are played), so skews and latencies compare directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from tpmri_core.frames import RGBTFrame


@dataclass(frozen=True, eq=False)
class TimedFrame:
    """One frame of one camera.

    Args:
        image: RGB: (H, W, 3) uint8 in RGB order. Thermal: (H, W) uint8 8-bit view (automatic gain applied).
        t_s: capture time in seconds (see the module docstring for the clock).
        index: frame number within its source, from 0.
        raw: thermal only: the (H, W) uint16 frame as the camera gave it, when it gives 16 bits.
    """

    image: np.ndarray
    t_s: float
    index: int
    raw: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.image.dtype != np.uint8 or self.image.ndim not in (2, 3):
            raise ValueError(f"image must be uint8 (H, W) or (H, W, 3), got {self.image.dtype} {self.image.shape}")
        if self.raw is not None and (self.raw.dtype != np.uint16 or self.raw.shape != self.image.shape[:2]):
            raise ValueError(f"raw must be uint16 {self.image.shape[:2]}, got {self.raw.dtype} {self.raw.shape}")

    @property
    def size_wh(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])

    def shifted(self, offset_s: float) -> TimedFrame:
        """The same frame with its time moved by `offset_s` (replays move recorded times onto the live clock)."""
        return TimedFrame(self.image, self.t_s + offset_s, self.index, self.raw)


@dataclass(frozen=True, eq=False)
class FramePair:
    """An RGB frame and the thermal frame matched to it, before registration (what a recording stores).

    Args:
        rgb: the RGB frame.
        tir: the thermal frame, on its own pixel grid.
        index: pair number within its feed, from 0.
        box_xywh_rgb_truth: the target's true box in RGB pixels where the source knows it (synthetic
            scenes, annotated replays); None otherwise.
        events: names of scene events on this frame (synthetic: 'darkness', 'crossover', ...; chained
            synthetic sequences mark their first frame 'sequence_start').
        down: the modalities whose stream is down: their frame here is a dead-sensor stand-in
            (`dead_stream`), and tracking runs on the other one alone.
        t_media_s: a replay's recorded time of the pair (its `t_s` is when it was played); None for live pairs.
    """

    rgb: TimedFrame
    tir: TimedFrame
    index: int
    box_xywh_rgb_truth: tuple[float, float, float, float] | None = None
    events: frozenset[str] = field(default_factory=frozenset)
    down: frozenset[str] = field(default_factory=frozenset)
    t_media_s: float | None = None

    @property
    def skew_s(self) -> float:
        """How far apart the two captures were (absolute); 0 for a single-stream pair."""
        return 0.0 if self.down else abs(self.tir.t_s - self.rgb.t_s)

    @property
    def t_s(self) -> float:
        """When the pair was complete: the later of the two capture times."""
        return max(self.rgb.t_s, self.tir.t_s)

    def shifted(self, offset_s: float) -> FramePair:
        return replace(self, rgb=self.rgb.shifted(offset_s), tir=self.tir.shifted(offset_s))

    @property
    def video_t_s(self) -> float:
        """The time the pair's video frame belongs at: the recorded time for replays, else the capture time."""
        return self.t_s if self.t_media_s is None else self.t_media_s


@dataclass(frozen=True, eq=False)
class RegisteredPair:
    """What a feed hands to the tracker: the registered `RGBTFrame` and the raw pair it was made from.

    `frame.tir` is warped onto the RGB grid; `frame.tir_raw` is the unregistered 16-bit frame (or None);
    `raw` keeps the unregistered pair for recording and for drawing on the thermal camera's own view.
    """

    frame: RGBTFrame
    raw: FramePair

    @property
    def skew_s(self) -> float:
        return self.raw.skew_s

    @property
    def index(self) -> int:
        return self.raw.index

"""What one tracking step returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StepTimings:
    """Wall time of each part of one tracking step, in milliseconds."""

    crop_ms: float = 0.0
    model_ms: float = 0.0
    decode_ms: float = 0.0

    @property
    def total_ms(self) -> float:
        return self.crop_ms + self.model_ms + self.decode_ms


@dataclass(frozen=True)
class TrackResult:
    """The tracker's answer for one frame.

    Args:
        box_xywh: target box in image pixels (left, top, width, height).
        score: peak of the Hann-windowed centre score map, in [0, 1].
        alpha_mean: TMR's RGB preference averaged over layers; 1 trusts RGB, 0 trusts TIR.
        alpha_per_layer: the same preference for each TPI layer, first block first.
        lost: True when the step produced non-finite values; box_xywh is then the last good box.
        timings: where the step spent its time.
        target_state: 'tracking', 'uncertain' or 'lost' (see `target_state`); a plain Tracker always says
            'tracking', `ReacquiringTracker` judges it from the recent scores.
    """

    box_xywh: tuple[float, float, float, float]
    score: float
    alpha_mean: float
    alpha_per_layer: tuple[float, ...] = ()
    lost: bool = False
    timings: StepTimings = field(default_factory=StepTimings)
    target_state: str = "tracking"

    def __post_init__(self) -> None:
        if len(self.box_xywh) != 4 or not all(math.isfinite(v) for v in self.box_xywh):
            raise ValueError(f"box_xywh must be four finite numbers, got {self.box_xywh}")
        if self.box_xywh[2] <= 0 or self.box_xywh[3] <= 0:
            raise ValueError(f"box_xywh needs a positive size, got {self.box_xywh}")

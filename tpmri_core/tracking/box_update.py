"""How far the tracker lets the box change from one frame to the next.

The network proposes a box every frame; a live tracker feeds that box into the next frame's crop, so one
bad size compounds: a box that halves makes the next search region half as wide, where a street lamp or a
headlight can fill the template's place, and the box never grows back. Real targets change size slowly
(a car 10 m away grows by a few percent per frame at walking speed), so these rules cap the change per
frame and keep the size when the network itself is unsure. They act on the size only; the centre moves
freely (bounding the centre is what the Hann window does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BoxUpdateRules:
    """Limits on the per-frame change of the box's size.

    Args:
        max_scale_step: largest factor by which sqrt(w * h) may grow or shrink in one frame (None: no limit).
        max_aspect_step: largest factor by which w / h may change in one frame (None: no limit).
        hold_size_below_score: keep the previous width and height when the peak score is below this
            (None: never); the centre still follows the peak.
        size_rate: how much of the (limited) proposed size change is taken each frame, in (0, 1]
            (1: all of it; 0.5: half, a first-order smoothing).
    """

    max_scale_step: float | None = None
    max_aspect_step: float | None = None
    hold_size_below_score: float | None = None
    size_rate: float = 1.0

    def __post_init__(self) -> None:
        for name in ("max_scale_step", "max_aspect_step"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 1.0):
                raise ValueError(f"{name} must be a factor >= 1 or None, got {value}")
        if self.hold_size_below_score is not None and not 0.0 <= self.hold_size_below_score <= 1.0:
            raise ValueError(f"hold_size_below_score must be in [0, 1] or None, got {self.hold_size_below_score}")
        if not 0.0 < self.size_rate <= 1.0:
            raise ValueError(f"size_rate must be in (0, 1], got {self.size_rate}")

    @property
    def is_identity(self) -> bool:
        return (
            self.max_scale_step is None
            and self.max_aspect_step is None
            and self.hold_size_below_score is None
            and self.size_rate == 1.0
        )


NO_LIMITS = BoxUpdateRules()
"""The network's box as it is (the paper's tracker)."""

DEFAULT_BOX_RULES = BoxUpdateRules(max_scale_step=1.02, max_aspect_step=1.02, size_rate=0.5)
"""The tracker's default, chosen on the real-appearance and generated validation sets (README, "Box-update
rules"): at most 2 % change of size and of aspect per frame, half of it taken; on real pictures the network's
box is smaller than the given one (by 9-15 % in the median sequence, by the weights), so an unlimited box halves within a few
frames onto a small warm part of the target (or a lamp next to it) and the next crop follows it down."""


def update_box(
    previous_xywh: np.ndarray, proposed_xywh: np.ndarray, score: float, rules: BoxUpdateRules
) -> np.ndarray:
    """The box to keep: the proposal's centre with a size no further from the previous size than the rules allow."""
    proposed = np.asarray(proposed_xywh, dtype=np.float64)
    if rules.is_identity:
        return proposed.copy()
    previous = np.asarray(previous_xywh, dtype=np.float64)
    center = proposed[:2] + proposed[2:] / 2
    old_w, old_h = float(previous[2]), float(previous[3])
    if rules.hold_size_below_score is not None and score < rules.hold_size_below_score:
        new_w, new_h = old_w, old_h
    else:
        old_scale, old_aspect = math.sqrt(old_w * old_h), old_w / old_h
        # A degenerate proposal (zero width or height) still has a direction: shrink as far as allowed.
        proposed_w, proposed_h = max(float(proposed[2]), 1e-6), max(float(proposed[3]), 1e-6)
        scale, aspect = math.sqrt(proposed_w * proposed_h), proposed_w / proposed_h
        if rules.max_scale_step is not None:
            scale = min(max(scale, old_scale / rules.max_scale_step), old_scale * rules.max_scale_step)
        if rules.max_aspect_step is not None:
            aspect = min(max(aspect, old_aspect / rules.max_aspect_step), old_aspect * rules.max_aspect_step)
        # Smooth in log space so that growing and shrinking by the same factor are symmetric.
        scale = old_scale * (scale / old_scale) ** rules.size_rate
        aspect = old_aspect * (aspect / old_aspect) ** rules.size_rate
        new_w, new_h = scale * math.sqrt(aspect), scale / math.sqrt(aspect)
    return np.array([center[0] - new_w / 2, center[1] - new_h / 2, new_w, new_h])

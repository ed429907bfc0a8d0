"""How a new prediction replaces the previous box.

The network predicts a size at its score peak on every frame. Feeding that size straight back (the search
crop is 4x the box) lets one bad size grow the crop, which makes the next size worse: a target walking past
a large dark object ends up with a box the size of that object. Trackers since SiamFC damp the size update
and bound its change per frame; we do the same, in log space so growing and shrinking are treated alike.
A peak too weak to trust (the target hidden) leaves the box where it was, so the search stays where the
target was last seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BoxUpdatePolicy:
    """Args:
        size_rate: fraction of the predicted log-size change taken on each frame (1: take the prediction).
        max_scale_change: largest factor either side may grow or shrink by in one frame (>= 1).
        min_score: peak scores below this keep the previous box unchanged (0: always move).
    """

    size_rate: float = 1.0
    max_scale_change: float = math.inf
    min_score: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.size_rate <= 1.0:
            raise ValueError(f"size_rate must lie in [0, 1], got {self.size_rate}")
        if self.max_scale_change < 1.0:
            raise ValueError(f"max_scale_change must be at least 1, got {self.max_scale_change}")
        if not 0.0 <= self.min_score < 1.0:
            raise ValueError(f"min_score must lie in [0, 1), got {self.min_score}")

    def apply(self, previous_xywh: np.ndarray, predicted_xywh: np.ndarray, score: float) -> np.ndarray:
        """The box to report and to centre the next search on."""
        if score < self.min_score:
            return np.asarray(previous_xywh, dtype=np.float64).copy()
        previous_size = np.asarray(previous_xywh[2:4], dtype=np.float64)
        predicted_size = np.maximum(np.asarray(predicted_xywh[2:4], dtype=np.float64), 1e-6)
        log_change = self.size_rate * np.log(predicted_size / previous_size)
        limit = math.log(self.max_scale_change)
        size = previous_size * np.exp(np.clip(log_change, -limit, limit))
        center = np.asarray(predicted_xywh[:2], dtype=np.float64) + np.asarray(predicted_xywh[2:4], dtype=np.float64) / 2
        return np.concatenate([center - size / 2, size])

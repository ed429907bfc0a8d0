"""A fixed-size ring buffer of the tracker's recent alpha and score, for the alpha(t) plot.

The worker appends one row per tracked frame; the window asks for a snapshot of the last N seconds,
which is a set of copied arrays, so the two threads never share a buffer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HistorySnapshot:
    """The recent history, oldest first; plain arrays the GUI can plot without touching the buffer.

    Args:
        t_s: (N,) time of each row in seconds (the frame's capture time).
        alpha_mean: (N,) TMR's RGB preference averaged over layers (1 trusts RGB, 0 trusts TIR); NaN when lost.
        alpha_per_layer: (N, L) the same per TPI layer; L is 0 before the first result with layers.
        score: (N,) peak of the score map.
    """

    t_s: np.ndarray
    alpha_mean: np.ndarray
    alpha_per_layer: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @classmethod
    def empty(cls) -> HistorySnapshot:
        return cls(np.zeros(0), np.zeros(0), np.zeros((0, 0)), np.zeros(0))


class TrackHistory:
    """The last `capacity` tracking results as a ring buffer of float64 columns.

    Args:
        capacity: rows kept; at 30 results a second, 2048 rows hold a minute.
    """

    def __init__(self, capacity: int = 2048) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._t_s = np.zeros(capacity)
        self._alpha_mean = np.zeros(capacity)
        self._score = np.zeros(capacity)
        self._alpha_per_layer = np.zeros((capacity, 0))
        self._next = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self._next = 0
        self._count = 0

    def append(self, t_s: float, alpha_mean: float, score: float, alpha_per_layer: tuple[float, ...] = ()) -> None:
        layers = len(alpha_per_layer)
        if layers and layers != self._alpha_per_layer.shape[1]:
            # A model with another depth (or the first result): per-layer columns restart.
            self._alpha_per_layer = np.full((self.capacity, layers), np.nan)
        row = self._next
        self._t_s[row] = t_s
        self._alpha_mean[row] = alpha_mean
        self._score[row] = score
        if self._alpha_per_layer.shape[1]:
            self._alpha_per_layer[row] = alpha_per_layer if layers else np.nan
        self._next = (row + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def snapshot(self, last_s: float | None = None) -> HistorySnapshot:
        """Copies of the rows, oldest first; only those within `last_s` seconds of the newest when given."""
        if self._count == 0:
            return HistorySnapshot.empty()
        order = (np.arange(self._count) + self._next - self._count) % self.capacity
        if last_s is not None:
            order = order[self._t_s[order] >= self._t_s[order[-1]] - last_s]
        return HistorySnapshot(
            t_s=self._t_s[order],
            alpha_mean=self._alpha_mean[order],
            alpha_per_layer=self._alpha_per_layer[order],
            score=self._score[order],
        )

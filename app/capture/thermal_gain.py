"""Turn raw 16-bit thermal frames into a stable 8-bit view.

Automatic gain is a percentile stretch: the `low_percentile` of the scene maps to 0 and the
`high_percentile` to 255, so one hot pixel does not wash the image out. The two limits are smoothed
over time so the view does not flicker when a warm object enters, and a minimum span keeps a uniform
scene from amplifying sensor noise. CLAHE (local contrast) is optional: it helps people on a warm
background but changes intensities locally, which the tracker was not necessarily trained on.
"""

from __future__ import annotations

import cv2
import numpy as np


class AutoGain:
    """Stateful 16-bit -> 8-bit conversion for one thermal stream (one instance per stream).

    Args:
        low_percentile: scene percentile mapped to 0.
        high_percentile: scene percentile mapped to 255.
        smoothing: weight of the previous limits in the running average (0 = no smoothing).
        min_span: smallest raw range stretched to 0..255 (raw counts; about 0.16 K for centi-kelvin data).
        clahe: apply contrast-limited adaptive histogram equalisation after the stretch.
        clahe_clip_limit: CLAHE clip limit.
        clahe_tiles: CLAHE tiles per side.
        sample_step: estimate percentiles on every n-th pixel in each direction (speed).
    """

    def __init__(
        self,
        low_percentile: float = 1.0,
        high_percentile: float = 99.0,
        smoothing: float = 0.8,
        min_span: float = 16.0,
        clahe: bool = False,
        clahe_clip_limit: float = 2.0,
        clahe_tiles: int = 8,
        sample_step: int = 2,
    ) -> None:
        if not 0 <= low_percentile < high_percentile <= 100:
            raise ValueError(f"need 0 <= low < high <= 100, got {low_percentile}, {high_percentile}")
        if not 0 <= smoothing < 1:
            raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
        self.low_percentile = low_percentile
        self.high_percentile = high_percentile
        self.smoothing = smoothing
        self.min_span = min_span
        self.sample_step = sample_step
        self._clahe = cv2.createCLAHE(clahe_clip_limit, (clahe_tiles, clahe_tiles)) if clahe else None
        self._limits: tuple[float, float] | None = None

    @property
    def limits(self) -> tuple[float, float] | None:
        """The raw values currently mapped to 0 and 255 (None before the first frame)."""
        return self._limits

    def reset(self) -> None:
        """Forget the running limits (after a camera reconnects or a replay restarts)."""
        self._limits = None

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """(H, W) uint8 view of an (H, W) integer or float thermal frame."""
        if raw.ndim != 2:
            raise ValueError(f"thermal frame must be (H, W), got {raw.shape}")
        sample = raw[:: self.sample_step, :: self.sample_step]
        low, high = (float(v) for v in np.percentile(sample, (self.low_percentile, self.high_percentile)))
        if self._limits is not None and self.smoothing > 0:
            previous_low, previous_high = self._limits
            low = self.smoothing * previous_low + (1 - self.smoothing) * low
            high = self.smoothing * previous_high + (1 - self.smoothing) * high
        self._limits = (low, high)
        centre, span = (low + high) / 2, max(high - low, self.min_span)
        low = centre - span / 2
        if raw.dtype == np.uint16:
            # A lookup table over all 65536 codes is cheaper than float arithmetic per pixel.
            codes = np.arange(65536, dtype=np.float32)
            table = np.clip((codes - low) * (255.0 / span), 0, 255).astype(np.uint8)
            view = table[raw]
        else:
            view = np.clip((raw.astype(np.float32) - low) * (255.0 / span), 0, 255).astype(np.uint8)
        if self._clahe is not None:
            view = self._clahe.apply(view)
        return view

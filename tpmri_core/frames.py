"""One registered RGB-thermal frame pair, the unit every tracker and source exchanges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RGBTFrame:
    """A visible image and a thermal image of the same instant, registered to the same pixel grid.

    Args:
        rgb: (H, W, 3) uint8 image in RGB channel order (not OpenCV's BGR).
        tir: (H, W) uint8 thermal image (8-bit view), already warped onto the RGB grid.
        t_rgb: capture time of the RGB image in seconds.
        t_tir: capture time of the thermal image in seconds.
        tir_raw: optional (H, W) uint16 radiometric frame as the camera gave it (not registered).
        index: frame number within its source.
    """

    rgb: np.ndarray
    tir: np.ndarray
    t_rgb: float = 0.0
    t_tir: float = 0.0
    tir_raw: np.ndarray | None = None
    index: int = 0

    def __post_init__(self) -> None:
        if self.rgb.ndim != 3 or self.rgb.shape[2] != 3 or self.rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be (H, W, 3) uint8, got {self.rgb.shape} {self.rgb.dtype}")
        if self.tir.ndim != 2 or self.tir.dtype != np.uint8:
            raise ValueError(f"tir must be (H, W) uint8, got {self.tir.shape} {self.tir.dtype}")
        if self.tir.shape != self.rgb.shape[:2]:
            raise ValueError(
                f"tir {self.tir.shape} is not registered to rgb {self.rgb.shape[:2]}: warp it first"
            )

    @property
    def size_wh(self) -> tuple[int, int]:
        return int(self.rgb.shape[1]), int(self.rgb.shape[0])

    @property
    def skew_s(self) -> float:
        """How far apart the two captures were."""
        return abs(self.t_rgb - self.t_tir)

"""One generated RGB-T frame with both ground truths and the events active on it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tpmri_core.frames import RGBTFrame


@dataclass(frozen=True)
class SynthFrame:
    """A generated frame pair; the thermal view is on the RGB pixel grid up to a small residual misregistration.

    Args:
        rgb: (H, W, 3) uint8 image in RGB order.
        tir: (H, W) uint8 thermal view (automatic gain control applied), on the RGB grid.
        tir_raw: (H, W) uint16 radiometric frame in centi-kelvin, same grid as `tir`.
        box_xywh_rgb: target box in the RGB image (left, top, width, height in pixels).
        box_xywh_tir: target box in the thermal image; differs from the RGB box by the misregistration.
        events: names from EVENT_NAMES active on this frame.
        index: frame number, from 0.
    """

    rgb: np.ndarray
    tir: np.ndarray
    tir_raw: np.ndarray
    box_xywh_rgb: tuple[float, float, float, float]
    box_xywh_tir: tuple[float, float, float, float]
    events: frozenset[str]
    index: int

    def as_rgbt_frame(self, fps: float = 25.0) -> RGBTFrame:
        """The frame as trackers receive it, timed as if captured at `fps`."""
        t_s = self.index / fps
        return RGBTFrame(rgb=self.rgb, tir=self.tir, t_rgb=t_s, t_tir=t_s, tir_raw=self.tir_raw, index=self.index)

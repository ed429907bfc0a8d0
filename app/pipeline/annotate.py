"""Draw the tracked box and its numbers onto a side-by-side RGB | thermal picture (for recorded videos).

Plain OpenCV on numpy arrays: the tracker never draws, and the Qt window draws its own overlay.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from tpmri_core.frames import RGBTFrame
from tpmri_live.pipeline.palettes import colorize_tir

BOX_COLOUR_RGB = (0, 230, 118)
LOST_COLOUR_RGB = (255, 82, 82)
TEXT_COLOUR_RGB = (255, 255, 255)


def draw_box(image_rgb: np.ndarray, box_xywh: tuple[float, float, float, float], colour_rgb: tuple[int, int, int]) -> None:
    """Draw the box outline in place, two pixels wide."""
    x, y, w, h = box_xywh
    top_left = (int(round(x)), int(round(y)))
    bottom_right = (int(round(x + w)) - 1, int(round(y + h)) - 1)
    cv2.rectangle(image_rgb, top_left, bottom_right, colour_rgb, 2, cv2.LINE_AA)


def draw_label(image_rgb: np.ndarray, text: str, origin_xy: tuple[int, int]) -> None:
    """White text on a dark band, readable on any background."""
    font, scale, thickness = cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1
    (width, height), baseline = cv2.getTextSize(text, font, scale, thickness)
    x, y = origin_xy
    cv2.rectangle(image_rgb, (x - 3, y - height - 4), (x + width + 3, y + baseline + 1), (0, 0, 0), -1)
    cv2.putText(image_rgb, text, (x, y), font, scale, TEXT_COLOUR_RGB, thickness, cv2.LINE_AA)


def annotate_pair(
    frame: RGBTFrame,
    box_xywh: tuple[float, float, float, float] | None,
    score: float | None = None,
    alpha_mean: float | None = None,
    lost: bool = False,
    palette: str = "inferno",
    note: str = "",
) -> np.ndarray:
    """(H, 2W, 3) uint8 RGB: the RGB image left, the paletted thermal view right, the box on both.

    The thermal view is on the RGB grid (registered), so one box serves both halves.
    """
    rgb = frame.rgb.copy()
    tir = colorize_tir(frame.tir, palette)
    if box_xywh is not None:
        colour = LOST_COLOUR_RGB if lost else BOX_COLOUR_RGB
        draw_box(rgb, box_xywh, colour)
        draw_box(tir, box_xywh, colour)
    parts = [f"#{frame.index}"]
    if score is not None and math.isfinite(score):
        parts.append(f"score {score:.2f}")
    if alpha_mean is not None and math.isfinite(alpha_mean):
        parts.append(f"alpha {alpha_mean:.2f} (1 = RGB)")
    if lost:
        parts.append("LOST")
    if note:
        parts.append(note)
    draw_label(rgb, "  ".join(parts), (8, 20))
    draw_label(tir, "TIR", (8, 20))
    return np.concatenate([rgb, tir], axis=1)

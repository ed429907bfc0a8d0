"""Square context crops around a box and the exact map from crop pixels back to image pixels.

The tracker crops a template at 2x the target's size and a search region at 4x (OSTrack's factors),
resamples both to the network's input size, and pads what falls outside the image with the image mean,
so that borders look like "more scene" rather than a black frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CropTransform:
    """Where a square crop of side `side_px` (image pixels), centred at (center_x, center_y), came from,
    resampled to `output_size` pixels."""

    center_x: float
    center_y: float
    side_px: float
    output_size: int

    @property
    def scale(self) -> float:
        """Image pixels per crop pixel."""
        return self.side_px / self.output_size

    def crop_to_image_xy(self, points_xy: np.ndarray) -> np.ndarray:
        points = np.asarray(points_xy, dtype=np.float64)
        origin = np.array([self.center_x - self.side_px / 2, self.center_y - self.side_px / 2])
        return origin + points * self.scale

    def image_to_crop_xy(self, points_xy: np.ndarray) -> np.ndarray:
        points = np.asarray(points_xy, dtype=np.float64)
        origin = np.array([self.center_x - self.side_px / 2, self.center_y - self.side_px / 2])
        return (points - origin) / self.scale

    def crop_to_image_box_xywh(self, box_xywh: np.ndarray) -> np.ndarray:
        box = np.asarray(box_xywh, dtype=np.float64)
        top_left = self.crop_to_image_xy(box[:2])
        return np.concatenate([top_left, box[2:4] * self.scale])

    def image_to_crop_box_xywh(self, box_xywh: np.ndarray) -> np.ndarray:
        box = np.asarray(box_xywh, dtype=np.float64)
        top_left = self.image_to_crop_xy(box[:2])
        return np.concatenate([top_left, box[2:4] / self.scale])


def crop_transform(box_xywh: np.ndarray | tuple[float, ...], factor: float, output_size: int) -> CropTransform:
    """The crop of side ceil(sqrt(w * h) * factor) centred on the box."""
    x, y, w, h = (float(v) for v in box_xywh)
    if not (w > 0 and h > 0):
        raise ValueError(f"cannot crop around a box without area: {box_xywh}")
    side = max(1.0, math.ceil(math.sqrt(w * h) * factor))
    return CropTransform(x + w / 2, y + h / 2, side, output_size)


def crop_image(image: np.ndarray, transform: CropTransform, fill: np.ndarray | float | None = None) -> np.ndarray:
    """Resample the crop from an (H, W) or (H, W, C) image; outside pixels take `fill` (default: image mean)."""
    scale = 1.0 / transform.scale
    origin_x = transform.center_x - transform.side_px / 2
    origin_y = transform.center_y - transform.side_px / 2
    # Pixel centres: crop pixel u covers image x = origin + (u + 0.5) * s - 0.5.
    shift = 0.5 * scale - 0.5
    matrix = np.array([[scale, 0.0, -origin_x * scale + shift], [0.0, scale, -origin_y * scale + shift]])
    if fill is None:
        fill = np.array(cv2.mean(image)[: image.shape[2] if image.ndim == 3 else 1])
    border = tuple(float(v) for v in np.atleast_1d(fill))
    if image.ndim == 3:
        border = border + (0.0,) * (4 - len(border))
    return cv2.warpAffine(
        image,
        matrix,
        (transform.output_size, transform.output_size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border if image.ndim == 3 else border[0],
    )


def clamp_box_xywh(box_xywh: np.ndarray, image_wh: tuple[int, int], min_size_px: float = 2.0) -> np.ndarray:
    """Keep a box inside the image with at least `min_size_px` width and height."""
    width, height = image_wh
    x, y, w, h = (float(v) for v in box_xywh)
    w = float(np.clip(w, min_size_px, width))
    h = float(np.clip(h, min_size_px, height))
    x = float(np.clip(x, 0.0, width - w))
    y = float(np.clip(y, 0.0, height - h))
    return np.array([x, y, w, h])

"""Pictures that show how well thermal and RGB line up: edges of both on one image, before and after.

RGB edges are drawn green, thermal edges magenta, and white where they coincide, over the dimmed RGB
image; edges do not depend on the thermal polarity (a heated board is bright where the RGB is dark).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tpmri_calibration.board_detection import contrast_stretch
from tpmri_calibration.registration import Registration

GREEN = np.array([0, 255, 0], dtype=np.uint8)
MAGENTA = np.array([255, 0, 255], dtype=np.uint8)
WHITE = np.array([255, 255, 255], dtype=np.uint8)


def _edges(gray: np.ndarray) -> np.ndarray:
    """Thin edge mask of a grey image, thresholds from its own contrast."""
    stretched = contrast_stretch(cv2.GaussianBlur(gray, (3, 3), 0))
    edges = cv2.Canny(stretched, 60, 150)
    return cv2.dilate(edges, np.ones((2, 2), np.uint8)) > 0


def edge_overlay(rgb: np.ndarray, tir_on_rgb_grid: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB-order picture: dimmed RGB, RGB edges green, thermal edges magenta, both white."""
    gray = rgb if rgb.ndim == 2 else cv2.cvtColor(rgb[..., :3], cv2.COLOR_RGB2GRAY)
    gray = gray if gray.dtype == np.uint8 else contrast_stretch(gray)
    tir = tir_on_rgb_grid if tir_on_rgb_grid.dtype == np.uint8 else contrast_stretch(tir_on_rgb_grid)
    picture = np.repeat((gray.astype(np.float32) * 0.45).astype(np.uint8)[..., None], 3, axis=2)
    rgb_edges, tir_edges = _edges(gray), _edges(tir)
    picture[rgb_edges] = GREEN
    picture[tir_edges] = MAGENTA
    picture[rgb_edges & tir_edges] = WHITE
    return picture


def before_after_overlay(
    rgb: np.ndarray,
    tir: np.ndarray,
    before: Registration,
    after: Registration,
    before_label: str = "before: no calibration",
    after_label: str = "after: calibrated",
) -> np.ndarray:
    """Two edge overlays side by side, each with its label, as one RGB-order uint8 image."""
    # Stretch before warping: the black border the warp adds must not take part in the stretch.
    tir_view = tir if tir.dtype == np.uint8 and tir.ndim == 2 else contrast_stretch(tir if tir.ndim == 2 else tir[..., 0])
    panels = []
    for registration, label in ((before, before_label), (after, after_label)):
        panel = edge_overlay(rgb, registration.warp_tir(tir_view))
        _draw_label(panel, label)
        panels.append(panel)
    gap = np.full((panels[0].shape[0], 8, 3), 255, dtype=np.uint8)
    return np.concatenate([panels[0], gap, panels[1]], axis=1)


def _draw_label(panel: np.ndarray, label: str) -> None:
    scale = max(0.45, panel.shape[1] / 1000)
    (width, height), baseline = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(panel, (0, 0), (width + 16, height + baseline + 12), (0, 0, 0), -1)
    cv2.putText(panel, label, (8, height + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)


def save_rgb_image(image_rgb: np.ndarray, path: str | Path) -> Path:
    """Write an RGB-order image (OpenCV writes BGR); creates parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = image_rgb if image_rgb.ndim == 2 else cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_PNG_COMPRESSION, 9] if path.suffix.lower() == ".png" else []
    if not cv2.imwrite(str(path), image, params):
        raise OSError(f"could not write image {path} (unknown extension or unwritable folder)")
    return path

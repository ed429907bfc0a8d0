"""Thermal palettes: 256-entry RGB lookup tables applied to the 8-bit thermal view.

Used by the window and by the annotated video, so both show the same colours.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

PALETTE_NAMES: tuple[str, ...] = ("gray", "inferno", "iron")

# The "iron" (ironbow) palette of thermal cameras: black, deep blue-violet, magenta, orange, yellow, white.
_IRON_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.00, (0, 0, 0)),
    (0.12, (25, 0, 85)),
    (0.30, (110, 0, 150)),
    (0.45, (185, 20, 130)),
    (0.60, (228, 75, 45)),
    (0.75, (250, 145, 0)),
    (0.90, (255, 215, 45)),
    (1.00, (255, 255, 230)),
)


def _interpolate_stops(stops: tuple[tuple[float, tuple[int, int, int]], ...]) -> np.ndarray:
    positions = np.array([position for position, _ in stops])
    colours = np.array([colour for _, colour in stops], dtype=np.float64)
    levels = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(levels, positions, colours[:, channel]) for channel in range(3)], axis=1)
    return np.round(table).astype(np.uint8)


@cache
def palette_lut(name: str) -> np.ndarray:
    """(256, 3) uint8 RGB table for `name` (one of PALETTE_NAMES); read-only, shared."""
    if name == "gray":
        levels = np.arange(256, dtype=np.uint8)
        table = np.stack([levels] * 3, axis=1)
    elif name == "inferno":
        bgr = cv2.applyColorMap(np.arange(256, dtype=np.uint8).reshape(256, 1), cv2.COLORMAP_INFERNO)
        table = np.ascontiguousarray(bgr.reshape(256, 3)[:, ::-1])
    elif name == "iron":
        table = _interpolate_stops(_IRON_STOPS)
    else:
        raise ValueError(f"unknown palette {name!r}; choose one of {', '.join(PALETTE_NAMES)}")
    table.setflags(write=False)
    return table


def colorize_tir(tir: np.ndarray, palette: str) -> np.ndarray:
    """(H, W) uint8 thermal image -> (H, W, 3) uint8 RGB through the palette."""
    if tir.ndim != 2 or tir.dtype != np.uint8:
        raise ValueError(f"thermal view must be (H, W) uint8, got {tir.shape} {tir.dtype}")
    return palette_lut(palette)[tir]


def blend_rgb_tir(rgb: np.ndarray, tir_rgb: np.ndarray, tir_opacity: float) -> np.ndarray:
    """The thermal view laid over the RGB image with opacity `tir_opacity` in [0, 1]."""
    opacity = float(np.clip(tir_opacity, 0.0, 1.0))
    return cv2.addWeighted(tir_rgb, opacity, rgb, 1.0 - opacity, 0.0)

"""The scene canvas that background layers are painted into: colour, apparent temperature and emitted light.

Colour and temperature are painted together so that every visible surface has a matching heat; light
sources (lamps, lit windows) go into a separate emission layer that night darkening does not dim.
"""

from __future__ import annotations

import cv2
import numpy as np

from tpmri_core.data.synth.weather import Material, Weather

TEMPERATURE_DIVISOR = 2
"""Canvas pixels per pixel of the background temperature field (heat is smooth; no need for more)."""


class SceneCanvas:
    """Paints layers into the RGB canvas, the temperature field and the emission layer together.

    Args:
        size_wh: canvas size in pixels.
        weather: the sequence's thermal conditions (ambient, sun, sky).
    """

    def __init__(self, size_wh: tuple[int, int], weather: Weather) -> None:
        self.width, self.height = size_wh
        self.low_wh = (max(2, self.width // TEMPERATURE_DIVISOR), max(2, self.height // TEMPERATURE_DIVISOR))
        self.rgb = np.zeros((self.height, self.width, 3), np.float32)
        self.emission = np.zeros((self.height, self.width, 3), np.float32)
        self.temperature_k = np.full((self.low_wh[1], self.low_wh[0]), weather.ambient_k, np.float32)
        self.weather = weather

    def paint(
        self,
        layer_rgb: np.ndarray,
        mask: np.ndarray | None,
        material: Material,
        origin_xy: tuple[int, int] = (0, 0),
        extra_k: float | np.ndarray = 0.0,
    ) -> None:
        """Blend a layer whose top-left corner sits at origin_xy where mask (float32 in [0, 1]; None = all) is set.

        The layer must lie inside the canvas; its temperature is computed from its own luminance by the
        material, plus extra_k (a scalar, or a 2-D array over the layer, resized to the heat grid: stored heat, sky).
        """
        x0, y0 = origin_xy
        height, width = layer_rgb.shape[:2]
        d = TEMPERATURE_DIVISOR
        lx0, ly0 = x0 // d, y0 // d
        lx1 = min(self.low_wh[0], max(lx0 + 1, (x0 + width) // d))
        ly1 = min(self.low_wh[1], max(ly0 + 1, (y0 + height) // d))
        low_wh = (lx1 - lx0, ly1 - ly0)
        layer_low = cv2.resize(layer_rgb, low_wh, interpolation=cv2.INTER_AREA).reshape(low_wh[1], low_wh[0], 3)
        luminance = layer_low.mean(axis=2) / 255.0
        if min(low_wh) > 4:
            luminance = cv2.GaussianBlur(luminance, (0, 0), 1.5)
        extra = np.asarray(extra_k, np.float32)
        if extra.ndim == 2 and extra.shape != (low_wh[1], low_wh[0]):
            extra = cv2.resize(extra, low_wh, interpolation=cv2.INTER_AREA).reshape(low_wh[1], low_wh[0])
        layer_k = material.apparent_temperature(self.weather, luminance) + extra
        rgb_view = self.rgb[y0 : y0 + height, x0 : x0 + width]
        k_view = self.temperature_k[ly0:ly1, lx0:lx1]
        if mask is None:
            rgb_view[:] = layer_rgb
            k_view[:] = layer_k
            return
        mask_low = cv2.resize(mask, low_wh, interpolation=cv2.INTER_AREA).reshape(low_wh[1], low_wh[0])
        rgb_view += (layer_rgb - rgb_view) * mask[:, :, None]
        k_view += (layer_k - k_view) * mask_low

    def add_heat_blob(self, centre_xy: tuple[float, float], radius_px: float, kelvin: float) -> None:
        """Add a Gaussian of `kelvin` at its peak (canvas coordinates, radius = sigma in canvas pixels)."""
        d = TEMPERATURE_DIVISOR
        cx, cy = centre_xy[0] / d - 0.5 + 0.5 / d, centre_xy[1] / d - 0.5 + 0.5 / d
        sigma = max(radius_px / d, 0.5)
        reach = int(np.ceil(3.5 * sigma)) + 1
        x0, x1 = max(0, int(cx) - reach), min(self.low_wh[0], int(cx) + reach + 1)
        y0, y1 = max(0, int(cy) - reach), min(self.low_wh[1], int(cy) + reach + 1)
        if x1 <= x0 or y1 <= y0:
            return
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))
        self.temperature_k[y0:y1, x0:x1] += np.float32(kelvin) * blob

    def add_glow(self, centre_xy: tuple[float, float], sigma_px: float, colour: np.ndarray, level: float) -> None:
        """Add emitted light: a Gaussian of `level` 8-bit units (times colour, in [0, 1]) to the emission layer."""
        cx, cy = centre_xy
        reach = int(np.ceil(3.0 * sigma_px)) + 1
        x0, x1 = max(0, int(cx) - reach), min(self.width, int(cx) + reach + 1)
        y0, y1 = max(0, int(cy) - reach), min(self.height, int(cy) + reach + 1)
        if x1 <= x0 or y1 <= y0:
            return
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        blob = np.float32(level) * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma_px**2))
        self.emission[y0:y1, x0:x1] += blob[:, :, None] * np.asarray(colour, np.float32)[None, None, :]

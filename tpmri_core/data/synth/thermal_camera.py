"""The thermal camera: a low-resolution microbolometer with optics blur, noise, fixed-pattern noise,
detail enhancement and automatic gain control, slightly misregistered against the RGB camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tpmri_core.data.synth.noise import noise_window
from tpmri_core.data.synth.signals import smooth_noise


@dataclass(frozen=True)
class ThermalCamera:
    """Per-sequence properties of the thermal camera.

    Args:
        frame_wh: output size, the RGB frame size.
        sensor_wh: the sensor's own (smaller) resolution; the scene is rendered at this size.
        rgb_to_tir: (2, 3) affine from RGB pixel coordinates to TIR pixel coordinates: the residual
            misregistration left after calibration (constant over the sequence).
        blur_sigma: optics blur in sensor pixels.
        noise_k: temporal noise (NETD) in kelvin.
        fixed_pattern_k: (h, w) float32 column stripes and smooth non-uniformity in kelvin.
        detail_gain: digital detail enhancement strength (sharpened edges, dark halos).
        agc_percentiles: low and high percentiles the gain control maps to 0 and 255.
        agc_min_span_k: the narrowest temperature span the gain control will stretch to 0..255.
        agc_rate: how fast the gain control follows the scene (1 = instantly).
    """

    frame_wh: tuple[int, int]
    sensor_wh: tuple[int, int]
    rgb_to_tir: np.ndarray
    blur_sigma: float
    noise_k: float
    fixed_pattern_k: np.ndarray
    detail_gain: float
    agc_percentiles: tuple[float, float]
    agc_min_span_k: float
    agc_rate: float

    @property
    def frame_to_sensor(self) -> np.ndarray:
        """(2, 3) affine from frame pixel-centre coordinates to sensor pixel-centre coordinates."""
        scale_x = self.sensor_wh[0] / self.frame_wh[0]
        scale_y = self.sensor_wh[1] / self.frame_wh[1]
        return np.array([[scale_x, 0.0, 0.5 * scale_x - 0.5], [0.0, scale_y, 0.5 * scale_y - 0.5]])

    def _tir_to_sensor(self) -> np.ndarray:
        tir_to_rgb = cv2.invertAffineTransform(self.rgb_to_tir)
        return compose_affine(self.frame_to_sensor, tir_to_rgb)

    def box_in_tir(self, box_xywh: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """The RGB box seen by the thermal camera (corners moved by the misregistration, then enclosed)."""
        x, y, w, h = box_xywh
        corners = np.array([[x, y, 1.0], [x + w, y, 1.0], [x, y + h, 1.0], [x + w, y + h, 1.0]])
        # Pixel-edge to pixel-centre coordinates and back around the affine.
        moved = (corners - [0.5, 0.5, 0.0]) @ self.rgb_to_tir.T + 0.5
        x0, y0 = moved.min(axis=0)
        x1, y1 = moved.max(axis=0)
        return float(x0), float(y0), float(x1 - x0), float(y1 - y0)

    def capture(
        self, scene_k: np.ndarray, agc_range_k: tuple[float, float] | None, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
        """Turn the apparent temperature at sensor resolution into the (tir uint8, tir_raw uint16) pair.

        agc_range_k is the gain control's state from the previous frame (None on the first frame); the
        new state is returned with the images.
        """
        sensed = cv2.GaussianBlur(scene_k, (0, 0), self.blur_sigma) if self.blur_sigma > 0 else scene_k.copy()
        sensed += self.fixed_pattern_k
        sensed = cv2.scaleAdd(
            noise_window(rng, self.sensor_wh[0], self.sensor_wh[1], 1, self.frame_wh)[:, :, 0], self.noise_k, sensed
        )
        display = sensed + np.float32(self.detail_gain) * (sensed - cv2.GaussianBlur(sensed, (0, 0), 4.0))
        low, high = np.percentile(display[::2, ::2], self.agc_percentiles)
        centre = 0.5 * (low + high)
        half = max(0.5 * (high - low), 0.5 * self.agc_min_span_k)
        target = (centre - half, centre + half)
        if agc_range_k is not None:
            target = tuple(old + self.agc_rate * (new - old) for old, new in zip(agc_range_k, target, strict=True))
        warp = self._tir_to_sensor()
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        raw_k = cv2.warpAffine(sensed, warp, self.frame_wh, flags=flags, borderMode=cv2.BORDER_REPLICATE)
        display_k = cv2.warpAffine(display, warp, self.frame_wh, flags=flags, borderMode=cv2.BORDER_REPLICATE)
        tir_raw = cv2.multiply(raw_k, 100.0).astype(np.uint16)  # centi-kelvin; scenes stay far below 655 K
        scale = 255.0 / max(target[1] - target[0], 1e-3)
        tir = cv2.convertScaleAbs(cv2.max(display_k, float(target[0])), alpha=scale, beta=-float(target[0]) * scale)
        return tir, tir_raw, (float(target[0]), float(target[1]))


def compose_affine(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """(2, 3) affine applying `inner` first, then `outer`."""
    return outer[:, :2] @ inner + np.hstack([np.zeros((2, 2)), outer[:, 2:]])


def sample_thermal_camera(
    rng: np.random.Generator,
    frame_wh: tuple[int, int],
    downscale: tuple[float, float],
    noise_k: tuple[float, float],
    blur_px: tuple[float, float],
    misregistration_px: float,
    misregistration_scale: float,
) -> ThermalCamera:
    width, height = frame_wh
    factor = rng.uniform(*downscale)
    sensor_wh = (max(8, int(round(width / factor))), max(8, int(round(height / factor))))
    scale = 1.0 + rng.uniform(-misregistration_scale, misregistration_scale)
    angle = np.deg2rad(rng.uniform(-0.5, 0.5)) * (misregistration_scale > 0)
    shift = rng.uniform(-misregistration_px, misregistration_px, 2)
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    centre = np.array([width / 2, height / 2])
    linear = np.array([[cos, -sin], [sin, cos]])
    rgb_to_tir = np.hstack([linear, (centre + shift - linear @ centre)[:, None]])
    sensor_w, sensor_h = sensor_wh
    columns = rng.normal(0.0, rng.uniform(0.0, 0.04), sensor_w).astype(np.float32)
    ys, xs = np.mgrid[0:sensor_h, 0:sensor_w].astype(np.float32)
    radius2 = ((xs - sensor_w / 2) / sensor_w) ** 2 + ((ys - sensor_h / 2) / sensor_h) ** 2
    shading = rng.normal(0.0, 0.6) * radius2 + rng.normal(0.0, 0.15) * smooth_noise(rng, sensor_w, sensor_w / 3)[
        None, :
    ].astype(np.float32)
    return ThermalCamera(
        frame_wh=frame_wh,
        sensor_wh=sensor_wh,
        rgb_to_tir=rgb_to_tir,
        blur_sigma=float(rng.uniform(*blur_px)),
        noise_k=float(rng.uniform(*noise_k)),
        fixed_pattern_k=(columns[None, :] + shading).astype(np.float32),
        detail_gain=float(rng.uniform(0.0, 0.6)),
        agc_percentiles=(float(rng.uniform(0.0, 2.0)), float(rng.uniform(99.3, 100.0))),
        agc_min_span_k=float(rng.uniform(3.0, 8.0)),
        agc_rate=float(rng.uniform(0.15, 1.0)),
    )

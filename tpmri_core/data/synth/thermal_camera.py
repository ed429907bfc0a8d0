"""The thermal camera: a low-resolution microbolometer with optics blur, noise, fixed-pattern noise,
detail enhancement and automatic gain control, slightly misregistered against the RGB camera.

What real LWIR cameras add, as seen in the registered pairs we compare against (LLVIP, RoadScene from
FLIR ADAS, TNO), and modelled here per sequence:
- polarity: some cameras and users show hot as black (`black_hot`);
- halos: scattered light in the germanium optics leaves a soft glow around hot things (`halo_*`);
- column and row stripes and smooth shading of an uncalibrated bolometer (`fixed_pattern_k`);
- FLIR-style histogram equalisation with a plateau (`equalization`): RoadScene frames use most grey
  levels for the road, trees and buildings, so people and cars are far less salient than under a
  linear stretch; strong digital detail enhancement (`detail_gain`, up to 1.2);
- automatic gain that lags and overshoots as hot things enter or leave (`agc_rate`, `agc_overshoot`).
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
        agc_overshoot: momentum of the gain control (0: settles smoothly; up to 0.7: it overshoots and
            hunts for a few frames after the scene's range jumps).
        equalization: 0 for a linear stretch, up to 1 for plateau histogram equalisation.
        equalization_plateau: a histogram bin's count is clipped at this many times the mean count.
        halo_strength: share of the signal scattered into a wide glow around it.
        halo_sigma: the glow's width in sensor pixels.
        black_hot: show hot as black.
        lag_frames: the thermal frame is captured this fraction of a frame before the RGB one (RoadScene's
            bands are 1-3 px apart because the FLIR cameras were not triggered together): moving things and
            camera pans shift between the bands by lag x their speed.
        parallax_xy: extra frame-pixel shift in thermal of the things in the scene (targets, companions)
            against the background, which the calibration registered: they stand nearer the cameras.
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
    agc_overshoot: float = 0.0
    equalization: float = 0.0
    equalization_plateau: float = 4.0
    halo_strength: float = 0.0
    halo_sigma: float = 4.0
    black_hot: bool = False
    lag_frames: float = 0.0
    parallax_xy: tuple[float, float] = (0.0, 0.0)

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
        self, scene_k: np.ndarray, agc: AgcState | None, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, AgcState]:
        """Turn the apparent temperature at sensor resolution into the (tir uint8, tir_raw uint16) pair.

        agc is the gain control's state from the previous frame (None on the first frame); the new
        state is returned with the images.
        """
        sensed = cv2.GaussianBlur(scene_k, (0, 0), self.blur_sigma) if self.blur_sigma > 0 else scene_k.copy()
        if self.halo_strength > 0.0:
            glow = cv2.GaussianBlur(sensed, (0, 0), self.halo_sigma)
            sensed = cv2.addWeighted(sensed, 1.0 - self.halo_strength, glow, self.halo_strength, 0.0)
        sensed += self.fixed_pattern_k
        sensed = cv2.scaleAdd(
            noise_window(rng, self.sensor_wh[0], self.sensor_wh[1], 1, self.frame_wh)[:, :, 0], self.noise_k, sensed
        )
        display = sensed + np.float32(self.detail_gain) * (sensed - cv2.GaussianBlur(sensed, (0, 0), 4.0))
        low, high = np.percentile(display[::2, ::2], self.agc_percentiles)
        centre = 0.5 * (low + high)
        half = max(0.5 * (high - low), 0.5 * self.agc_min_span_k)
        wanted = np.array([centre - half, centre + half])
        velocity = np.zeros(2)
        if agc is not None:
            old = np.array(agc.range_k)
            velocity = self.agc_overshoot * np.array(agc.velocity_k) + self.agc_rate * (wanted - old)
            wanted = old + velocity
            if wanted[1] - wanted[0] < 0.25 * self.agc_min_span_k:  # an overshoot never inverts the range
                wanted = np.array([centre - half, centre + half])
        warp = self._tir_to_sensor()
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        raw_k = cv2.warpAffine(sensed, warp, self.frame_wh, flags=flags, borderMode=cv2.BORDER_REPLICATE)
        display_k = cv2.warpAffine(display, warp, self.frame_wh, flags=flags, borderMode=cv2.BORDER_REPLICATE)
        tir_raw = cv2.multiply(raw_k, 100.0).astype(np.uint16)  # centi-kelvin; scenes stay far below 655 K
        scale = 255.0 / max(wanted[1] - wanted[0], 1e-3)
        tir = cv2.convertScaleAbs(cv2.max(display_k, float(wanted[0])), alpha=scale, beta=-float(wanted[0]) * scale)
        curve = _IDENTITY
        if self.equalization > 0.0:
            counts = np.bincount(tir[::3, ::3].ravel(), minlength=256).astype(np.float64)
            counts = np.minimum(counts, self.equalization_plateau * counts.mean())
            equalized = 255.0 * np.cumsum(counts) / max(counts.sum(), 1.0)
            curve = (1.0 - self.equalization) * _IDENTITY + self.equalization * equalized
            if agc is not None and agc.curve is not None:
                curve = agc.curve + self.agc_rate * (curve - agc.curve)
        state = AgcState(
            range_k=(float(wanted[0]), float(wanted[1])),
            velocity_k=(float(velocity[0]), float(velocity[1])),
            curve=curve if self.equalization > 0.0 else None,
        )
        if self.black_hot:
            curve = 255.0 - curve
        if curve is not _IDENTITY:
            tir = cv2.LUT(tir, np.clip(np.round(curve), 0, 255).astype(np.uint8))
        return tir, tir_raw, state


_IDENTITY = np.arange(256, dtype=np.float64)


@dataclass(frozen=True)
class AgcState:
    """The gain control between frames: the mapped range, its rate of change, the equalisation curve."""

    range_k: tuple[float, float]
    velocity_k: tuple[float, float] = (0.0, 0.0)
    curve: np.ndarray | None = None


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
    black_hot_probability: float = 0.0,
    max_lag_frames: float = 0.0,
    max_parallax_px: float = 0.0,
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
    columns = rng.normal(0.0, rng.uniform(0.0, 0.07), sensor_w).astype(np.float32)
    rows = rng.normal(0.0, rng.uniform(0.0, 0.03), sensor_h).astype(np.float32)
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
        fixed_pattern_k=(columns[None, :] + rows[:, None] + shading).astype(np.float32),
        detail_gain=float(rng.uniform(0.0, 1.2)),
        agc_percentiles=(float(rng.uniform(0.0, 2.0)), float(rng.uniform(99.3, 100.0))),
        agc_min_span_k=float(rng.uniform(3.0, 8.0)),
        agc_rate=float(rng.uniform(0.15, 1.0)),
        agc_overshoot=0.0 if rng.random() < 0.5 else float(rng.uniform(0.2, 0.7)),
        equalization=0.0 if rng.random() < 0.5 else float(rng.uniform(0.3, 1.0)),
        equalization_plateau=float(rng.uniform(2.0, 8.0)),
        halo_strength=0.0 if rng.random() < 0.4 else float(rng.uniform(0.05, 0.3)),
        halo_sigma=float(rng.uniform(2.0, 8.0)),
        black_hot=bool(rng.random() < black_hot_probability),
        lag_frames=0.0 if rng.random() < 0.5 else float(rng.uniform(0.0, max_lag_frames)),
        parallax_xy=(
            float(rng.uniform(-max_parallax_px, max_parallax_px)),
            float(rng.uniform(-0.3, 0.3) * max_parallax_px),
        ),
    )

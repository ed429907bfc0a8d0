"""Camera motion over the background canvas: pans, zooms, handheld shake and roll."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tpmri_core.data.synth.signals import smooth_noise


@dataclass(frozen=True)
class CameraPath:
    """Args:
    canvas_to_frame: (T, 2, 3) affine maps from canvas pixels to frame pixels, one per frame.
    zoom: (T,) frame pixels per canvas pixel.
    shake_xy: (T, 2) the high-frequency part of the motion in frame pixels; it moves the target too.
    """

    canvas_to_frame: np.ndarray
    zoom: np.ndarray
    shake_xy: np.ndarray


def sample_camera_path(
    rng: np.random.Generator, num_frames: int, canvas_wh: tuple[int, int], frame_wh: tuple[int, int], strength: float
) -> CameraPath:
    """A smooth random view path that never leaves the canvas; strength 0 gives a fixed camera."""
    canvas_w, canvas_h = canvas_wh
    frame_w, frame_h = frame_wh
    zoom_min = max(frame_w / canvas_w, frame_h / canvas_h) * 1.001
    zoom_max = max(zoom_min * 1.05, 1.4)
    still = strength <= 0.0 or rng.random() < 0.25
    moving = 0.0 if still else strength
    zoom_span = np.log(zoom_max / zoom_min)
    log_zoom0 = np.log(zoom_min) + rng.uniform(0.15, 0.6) * zoom_span
    zoom_amplitude = rng.uniform(0.0, 0.25) * zoom_span * moving
    log_zoom = log_zoom0 + zoom_amplitude * smooth_noise(rng, num_frames, rng.uniform(30, 120))
    zoom = np.exp(np.clip(log_zoom, np.log(zoom_min), np.log(zoom_max)))

    # Position of the view centre within its allowed range, as a fraction in [0, 1].
    pan_amplitude = rng.uniform(0.3, 2.0) * moving
    drift = rng.normal(0.0, 1.0, 2) * moving * np.linspace(-1.0, 1.0, num_frames)[:, None]
    start = rng.normal(0.0, 0.6, 2)
    corr = rng.uniform(40, 160)
    pan = start + drift + pan_amplitude * np.stack([smooth_noise(rng, num_frames, corr) for _ in range(2)], axis=1)
    fraction = 1.0 / (1.0 + np.exp(-pan))
    half_view_w = frame_w / (2 * zoom)
    half_view_h = frame_h / (2 * zoom)
    centre_x = half_view_w + fraction[:, 0] * (canvas_w - 2 * half_view_w)
    centre_y = half_view_h + fraction[:, 1] * (canvas_h - 2 * half_view_h)

    handheld = 0.0 if still or rng.random() < 0.5 else rng.uniform(0.2, 2.0) * strength
    shake_xy = handheld * np.stack([smooth_noise(rng, num_frames, 1.5) for _ in range(2)], axis=1)
    roll = np.deg2rad(0.6 * handheld) * smooth_noise(rng, num_frames, 8.0)

    cos, sin = np.cos(roll) * zoom, np.sin(roll) * zoom
    matrices = np.empty((num_frames, 2, 3))
    matrices[:, 0, 0], matrices[:, 0, 1] = cos, -sin
    matrices[:, 1, 0], matrices[:, 1, 1] = sin, cos
    matrices[:, 0, 2] = frame_w / 2 + shake_xy[:, 0] - (cos * centre_x - sin * centre_y)
    matrices[:, 1, 2] = frame_h / 2 + shake_xy[:, 1] - (sin * centre_x + cos * centre_y)
    return CameraPath(canvas_to_frame=matrices, zoom=zoom, shake_xy=shake_xy)

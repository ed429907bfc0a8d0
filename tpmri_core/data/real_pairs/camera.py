"""A virtual camera over one photograph: which part of it each output frame shows.

The view is a rectangle of the output's aspect ratio that pans (eased from one place to another), zooms
slowly and shakes (smoothed jitter), always inside the picture and always keeping the target's centre in
its inner part, so a tracker is tested on motion without the target leaving the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class View:
    """Output pixels = (source pixels - (x0, y0)) * scale."""

    x0: float
    y0: float
    scale: float

    def matrix(self) -> np.ndarray:
        """The 2x3 affine map from source to output pixels, for cv2.warpAffine."""
        return np.array([[self.scale, 0.0, -self.x0 * self.scale], [0.0, self.scale, -self.y0 * self.scale]])

    def box_to_output(self, box_xywh: np.ndarray) -> np.ndarray:
        x, y, w, h = box_xywh
        return np.array([(x - self.x0) * self.scale, (y - self.y0) * self.scale, w * self.scale, h * self.scale])


def _eased(t: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(t, 0.0, 1.0))


def _smoothed_noise(rng: np.random.Generator, count: int, sigma: float, keep: float = 0.7) -> np.ndarray:
    """(count, 2) AR(1) jitter: hand shake, correlated from frame to frame."""
    noise = np.zeros((count, 2))
    for index in range(1, count):
        noise[index] = keep * noise[index - 1] + rng.normal(0.0, sigma, 2)
    return noise


def camera_path(
    rng: np.random.Generator,
    image_wh: tuple[int, int],
    output_wh: tuple[int, int],
    target_centers_xy: np.ndarray,
    target_long_side_px: float,
    motion: float = 1.0,
    max_target_fraction: float = 0.5,
) -> list[View]:
    """One view per frame.

    Args:
        rng: the sequence's random generator.
        image_wh: the photograph's size.
        output_wh: the frames' size.
        target_centers_xy: (N, 2) the target's centre in the photograph on each frame.
        target_long_side_px: the target's longer side in the photograph (the view is wide enough that it
            stays under `max_target_fraction` of the frame height).
        motion: 0 for a fixed view, 1 for the default pan, zoom and shake.
    """
    width, height = image_wh
    out_w, out_h = output_wh
    count = len(target_centers_xy)
    widest = min(width, height * out_w / out_h)
    narrowest = min(widest, max(target_long_side_px * out_w / (max_target_fraction * out_h), widest * 0.45))
    base_width = rng.uniform(narrowest, widest) if narrowest < widest else widest
    zoom = 1.0 + motion * rng.uniform(0.0, 0.25) * np.sin(np.linspace(0, rng.uniform(1.0, 2.5) * np.pi, count) + rng.uniform(0, 2 * np.pi))
    view_widths = np.clip(base_width / zoom, narrowest, widest)
    travel = motion * rng.uniform(0.1, 0.5)
    start = target_centers_xy[0] + rng.uniform(-0.25, 0.25, 2) * base_width
    end = start + rng.normal(0.0, 1.0, 2) * travel * base_width
    path = start + (end - start) * _eased(np.linspace(0.0, 1.0, count))[:, None]
    shake = _smoothed_noise(rng, count, motion * rng.uniform(0.2, 1.2) * base_width / out_w)
    views = []
    for index in range(count):
        view_w = float(view_widths[index])
        view_h = view_w * out_h / out_w
        center = path[index] + shake[index]
        # Keep the target's centre in the inner 70 % of the view, then the view inside the picture.
        target = target_centers_xy[index]
        center = np.clip(center, target - 0.35 * np.array([view_w, view_h]), target + 0.35 * np.array([view_w, view_h]))
        x0 = float(np.clip(center[0] - view_w / 2, 0.0, width - view_w))
        y0 = float(np.clip(center[1] - view_h / 2, 0.0, height - view_h))
        views.append(View(x0, y0, out_w / view_w))
    return views

"""What happens to a made sequence's frames: darkness, glare, thermal contrast collapse, an occluder.

Each effect takes a strength in [0, 1] (0: nothing, 1: full) so an event ramps in and out over a few frames.
"""

from __future__ import annotations

import cv2
import numpy as np

EVENT_NAMES: tuple[str, ...] = ("darkness", "overexposure", "crossover", "occlusion", "distractor")
"""The per-frame events of events.csv, named as `tpmri synth` names them so one table covers both."""


def darken(rgb: np.ndarray, strength: float, gain: float, noise_sigma: float, rng: np.random.Generator) -> np.ndarray:
    """The visible camera at night: light down to `gain`, gamma lifted shadows, sensor noise (8-bit levels)."""
    level = 1.0 - strength * (1.0 - gain)
    image = rgb.astype(np.float32) * level
    image += rng.normal(0.0, strength * noise_sigma, image.shape[:2])[..., None]
    image += rng.normal(0.0, strength * noise_sigma * 0.5, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def overexpose(rgb: np.ndarray, strength: float, gain: float, center_xy: tuple[float, float], radius_px: float) -> np.ndarray:
    """Glare: the exposure multiplied by up to `gain` and a saturating bloom (a headlight, the sun) at `center_xy`."""
    height, width = rgb.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    bloom = np.exp(-((xs - center_xy[0]) ** 2 + (ys - center_xy[1]) ** 2) / (2 * radius_px**2))
    image = rgb.astype(np.float32) * (1.0 + strength * (gain - 1.0)) + strength * 260.0 * bloom[..., None]
    return np.clip(image, 0, 255).astype(np.uint8)


def collapse_contrast(
    tir: np.ndarray, strength: float, keep: float, center_xy: tuple[float, float], radius_px: float, rng: np.random.Generator
) -> np.ndarray:
    """Thermal crossover: near the target (a Gaussian of `radius_px` around `center_xy`) every pixel is pulled
    towards its blurred surroundings, down to `keep` of its contrast, so a target as warm as its background
    fades into it; the whole picture loses some contrast too and the automatic gain shows sensor noise."""
    image = tir.astype(np.float32)
    height, width = tir.shape
    surroundings = cv2.GaussianBlur(image, (0, 0), radius_px)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    near = np.exp(-((xs - center_xy[0]) ** 2 + (ys - center_xy[1]) ** 2) / (2 * radius_px**2))
    factor = (1.0 - strength * 0.35) * (1.0 - strength * (1.0 - keep) * near)
    image = surroundings + factor * (image - surroundings)
    image += rng.normal(0.0, strength * 2.5, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def ramp(count: int, start: int, end: int, ramp_frames: int = 4) -> np.ndarray:
    """(count,) strength: 0 outside [start, end), rising and falling linearly over `ramp_frames`."""
    frames = np.arange(count, dtype=np.float64)
    rise = np.clip((frames - start + 1) / ramp_frames, 0.0, 1.0)
    fall = np.clip((end - frames) / ramp_frames, 0.0, 1.0)
    return np.minimum(rise, fall)

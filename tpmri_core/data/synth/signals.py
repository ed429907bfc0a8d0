"""Smooth random 1-D signals: the raw material of camera paths, target motion and event ramps."""

from __future__ import annotations

import numpy as np


def smooth_noise(rng: np.random.Generator, length: int, correlation_frames: float) -> np.ndarray:
    """(length,) Gaussian-filtered white noise with unit standard deviation and the given correlation time."""
    sigma = max(float(correlation_frames), 0.5)
    radius = int(3 * sigma) + 1
    white = rng.standard_normal(length + 2 * radius)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= np.sqrt(np.sum(kernel**2))  # keeps unit variance after filtering
    return np.convolve(white, kernel, mode="valid")[:length]


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def trapezoid(length: int, start: int, end: int, ramp_in: int, ramp_out: int) -> np.ndarray:
    """(length,) envelope: 0 outside [start, end), smooth ramps up at start and down before end, 1 between."""
    t = np.arange(length, dtype=np.float64)
    rise = smoothstep((t - start + 1) / max(ramp_in, 1))
    fall = smoothstep((end - t) / max(ramp_out, 1))
    envelope = np.minimum(rise, fall)
    envelope[(t < start) | (t >= end)] = 0.0
    return envelope

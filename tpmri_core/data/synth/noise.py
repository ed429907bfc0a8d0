"""Pre-drawn Gaussian noise that frames take random windows of.

Drawing half a million normals per frame would cost more than rendering the rest of the frame; a
bank drawn once per process from a fixed seed keeps sequences deterministic.
"""

from __future__ import annotations

import functools

import numpy as np

NOISE_MARGIN = 32


@functools.lru_cache(maxsize=8)
def noise_bank(width: int, height: int, channels: int) -> np.ndarray:
    """(height + NOISE_MARGIN, width + NOISE_MARGIN, channels) float32 unit Gaussian noise, read-only."""
    seed = 20240611 + 7919 * channels
    bank = np.random.default_rng(seed).standard_normal(
        (height + NOISE_MARGIN, width + NOISE_MARGIN, channels), dtype=np.float32
    )
    bank.setflags(write=False)
    return bank


def noise_window(
    rng: np.random.Generator, width: int, height: int, channels: int, bank_wh: tuple[int, int] | None = None
) -> np.ndarray:
    """A random (height, width, channels) view into the bank for frames of size bank_wh (default: width, height)."""
    bank_w, bank_h = bank_wh or (width, height)
    bank = noise_bank(bank_w, bank_h, channels)
    x0 = int(rng.integers(0, bank.shape[1] - width + 1))
    y0 = int(rng.integers(0, bank.shape[0] - height + 1))
    return bank[y0 : y0 + height, x0 : x0 + width]

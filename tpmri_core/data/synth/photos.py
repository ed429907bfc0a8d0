"""Real photographs shipped inside scikit-image's wheel, used for backgrounds and target textures.

Only images bundled with the distribution are named here; others in `skimage.data` (eagle, lily,
...) would be fetched from the network through pooch, which must never happen at run time.
"""

from __future__ import annotations

import functools

import numpy as np
import skimage.data

SCENE_PHOTOS: tuple[str, ...] = (
    "astronaut",
    "camera",
    "coffee",
    "chelsea",
    "rocket",
    "coins",
    "motorcycle_left",
    "motorcycle_right",
)
"""Photographs of whole scenes: backgrounds seen from the side."""

SURFACE_TEXTURES: tuple[str, ...] = ("grass", "gravel", "brick", "moon", "grass", "gravel", "brick", "text")
"""Close-ups of surfaces: ground planes and walls (repeats weight the natural ones up)."""

OTHER_IMAGES: tuple[str, ...] = (
    "colorwheel",
    "logo",
    "checkerboard",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
    "page",
    "clock",
)
"""Patterns and micrographs, used only for the textures of targets and clutter (prints, paint, fabric)."""

ALL_PHOTOS: tuple[str, ...] = tuple(dict.fromkeys(SCENE_PHOTOS + SURFACE_TEXTURES + OTHER_IMAGES))


@functools.cache
def load_photo(name: str) -> np.ndarray:
    """The named image as a read-only (H, W, 3) uint8 RGB array, loaded once per process."""
    if name not in ALL_PHOTOS:
        raise ValueError(f"photo {name!r} is not one of the bundled images {ALL_PHOTOS}")
    if name.startswith("motorcycle_"):
        left, right, _disparity = skimage.data.stereo_motorcycle()
        image = left if name == "motorcycle_left" else right
    else:
        image = getattr(skimage.data, name)()
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = (image > 0).astype(np.uint8) * 255 if image.dtype == bool else np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3])
    image.setflags(write=False)
    return image


def preload_photos() -> None:
    """Load every bundled image now, on the calling thread.

    scikit-image imports its submodules lazily, on first use. When that first use is in a capture thread while
    Qt starts on the main thread, PySide6's start-up can walk `sys.modules` while the thread adds to it, and the
    process aborts ("dictionary changed size during iteration"); the live demo therefore loads the images, and so
    runs those imports, before any thread starts (about a second).
    """
    for name in ALL_PHOTOS:
        load_photo(name)


def is_grey(image: np.ndarray) -> bool:
    return bool(
        np.array_equal(image[::8, ::8, 0], image[::8, ::8, 1])
        and np.array_equal(image[::8, ::8, 1], image[::8, ::8, 2])
    )

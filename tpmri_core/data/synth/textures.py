"""Random crops of the bundled photographs with colour changes, so that every sequence looks different."""

from __future__ import annotations

import cv2
import numpy as np

from tpmri_core.data.synth.photos import ALL_PHOTOS, is_grey, load_photo


def random_crop(
    rng: np.random.Generator, image: np.ndarray, out_wh: tuple[int, int], zoom: tuple[float, float] = (1.0, 2.0)
) -> np.ndarray:
    """A randomly placed, scaled and flipped crop of `image` resized to out_wh, as float32 RGB in [0, 255].

    zoom > 1 takes a crop smaller than the largest one with the output's aspect ratio (a closer
    view); zoom < 1 sees beyond the photograph, which is extended by mirroring.
    """
    out_w, out_h = out_wh
    chosen_zoom = rng.uniform(*zoom)
    if chosen_zoom < 1.0:
        pad_y = int(image.shape[0] * (1.0 / chosen_zoom - 1.0) / 2) + 1
        pad_x = int(image.shape[1] * (1.0 / chosen_zoom - 1.0) / 2) + 1
        image = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REFLECT)
        chosen_zoom = 1.0
    height, width = image.shape[:2]
    fit = min(width / out_w, height / out_h)
    crop_scale = fit / chosen_zoom
    crop_w = max(2, min(width, int(round(out_w * crop_scale))))
    crop_h = max(2, min(height, int(round(out_h * crop_scale))))
    x0 = int(rng.integers(0, width - crop_w + 1))
    y0 = int(rng.integers(0, height - crop_h + 1))
    crop = image[y0 : y0 + crop_h, x0 : x0 + crop_w]
    interpolation = cv2.INTER_AREA if crop_w > out_w else cv2.INTER_LINEAR
    crop = cv2.resize(crop, (out_w, out_h), interpolation=interpolation).astype(np.float32)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop)


def random_colour(rng: np.random.Generator, saturation: tuple[float, float] = (0.0, 0.9)) -> np.ndarray:
    """(3,) float32 RGB colour in [0, 255] with a random hue, saturation and value."""
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(*saturation) * 255, rng.uniform(30, 245)]]], dtype=np.float32)
    hsv_u8 = np.clip(hsv, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv_u8, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def jitter_colours(rng: np.random.Generator, rgb: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Random white balance, saturation, contrast, brightness and gamma on float32 RGB in [0, 255].

    The linear part is one 3x4 colour matrix (a single OpenCV pass), the gamma a lookup table.
    """
    # White balance along the warm-cool axis, with a little green-magenta: the casts real cameras make.
    warm, green = rng.normal(0.0, 0.1 * strength), rng.normal(0.0, 0.03 * strength)
    gains = np.exp(np.array([warm - 0.5 * green, green, -warm - 0.5 * green]))
    saturation = min(float(np.exp(rng.normal(0.0, 0.35 * strength))), 1.35)
    contrast = float(np.exp(rng.normal(0.0, 0.2 * strength)))
    brightness = float(rng.normal(0.0, 18.0 * strength))
    gamma = float(np.exp(rng.normal(0.0, 0.15 * strength)))
    mean = float(np.mean(rgb[::4, ::4]))
    # grey + (x - grey) * saturation, then (. - mean) * contrast + mean + brightness, then channel gains.
    to_grey = np.full((3, 3), 1.0 / 3.0)
    linear = (to_grey + (np.eye(3) - to_grey) * saturation) * contrast
    matrix = np.hstack([gains[:, None] * linear, (gains * (mean * (1.0 - contrast) + brightness))[:, None]])
    transformed = cv2.transform(np.ascontiguousarray(rgb, dtype=np.float32), matrix.astype(np.float32))
    as_u8 = cv2.convertScaleAbs(cv2.max(transformed, 0.0))
    curve = np.clip(255.0 * (np.arange(256) / 255.0) ** gamma, 0, 255).astype(np.uint8)
    return cv2.LUT(as_u8, curve).astype(np.float32)


_NATURAL_TINTS = np.array(
    [
        [1.0, 1.0, 1.0],
        [0.75, 1.0, 0.55],
        [1.05, 0.95, 0.8],
        [1.1, 0.85, 0.7],
        [0.9, 0.95, 1.05],
        [0.95, 0.9, 0.85],
        [0.6, 0.85, 0.5],
    ],
    np.float32,
)


def tint_grey(rng: np.random.Generator, rgb: np.ndarray, natural: bool = True) -> np.ndarray:
    """Colourise a grey texture, keeping its detail: with earth, stone and foliage tints, or any colour."""
    if natural:
        tint = _NATURAL_TINTS[int(rng.integers(len(_NATURAL_TINTS)))] * np.exp(rng.normal(0.0, 0.08, 3)).astype(
            np.float32
        )
        colour = 1.0 + (tint - 1.0) * rng.uniform(0.3, 1.0)
    else:
        colour = random_colour(rng, saturation=(0.1, 0.7)) / 128.0
    return np.clip(rgb * colour.astype(np.float32), 0.0, 255.0).astype(np.float32)


def random_texture(
    rng: np.random.Generator,
    out_wh: tuple[int, int],
    names: tuple[str, ...] = ALL_PHOTOS,
    zoom: tuple[float, float] = (1.0, 3.0),
) -> np.ndarray:
    """A colour-jittered crop of a random bundled photograph (grey ones tinted), float32 RGB."""
    name = names[int(rng.integers(len(names)))]
    image = load_photo(name)
    crop = random_crop(rng, image, out_wh, zoom)
    if is_grey(image):
        crop = tint_grey(rng, crop, natural=rng.random() < 0.5)
    return jitter_colours(rng, crop)


def detail_map(
    rng: np.random.Generator,
    out_wh: tuple[int, int],
    zoom: tuple[float, float] = (1.0, 4.0),
    names: tuple[str, ...] = ALL_PHOTOS,
) -> np.ndarray:
    """(h, w) float32 zero-mean, unit-deviation luminance detail of a random photograph crop (fabric, fur, paint)."""
    name = names[int(rng.integers(len(names)))]
    crop = random_crop(rng, load_photo(name), out_wh, zoom).mean(axis=2)
    return ((crop - crop.mean()) / (crop.std() + 1.0)).astype(np.float32)

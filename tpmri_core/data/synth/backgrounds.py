"""Background scenes: a canvas larger than the frame (so the camera can pan and zoom) with its temperature field.

Layouts: a procedural street (street.py: cold sky, buildings, trees, warm road, lamp posts), a whole
photograph, a photograph above a perspective ground plane, a top-down surface, or bands of walls; then
static clutter, some of it warm, lamps and other small hot fixtures (lamps.py), a global colour change
and, at night, darkness lit by the lamps.

The street is the most common layout (45 %): the scenes the weights failed on are streets and roads
(LLVIP, RoadScene); the photograph layouts keep the variety of texture that stops the model from
learning one kind of background.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tpmri_core.data.synth.canvas import TEMPERATURE_DIVISOR, SceneCanvas
from tpmri_core.data.synth.lamps import Lamp, heat_lamps, paint_lamps, sample_lamps
from tpmri_core.data.synth.photos import SCENE_PHOTOS, SURFACE_TEXTURES, is_grey, load_photo
from tpmri_core.data.synth.street import paint_street
from tpmri_core.data.synth.textures import jitter_colours, random_crop, random_texture, tint_grey
from tpmri_core.data.synth.weather import Material, Weather, sample_material

LAYOUTS: tuple[str, ...] = ("photo", "horizon", "surface", "bands", "street")
LAYOUT_PROBABILITIES: tuple[float, ...] = (0.15, 0.2, 0.08, 0.12, 0.45)

NIGHT_TINTS = np.array([[1.15, 0.95, 0.65], [1.0, 0.95, 0.85], [0.85, 0.92, 1.1], [1.05, 1.0, 0.9]], np.float32)
"""Colour casts of lamp-lit streets: sodium orange, warm, cold LED, mixed."""


@dataclass(frozen=True)
class Background:
    """Args:
    rgba: (Hc, Wc, 4) uint8 canvas, larger than the frame; the fourth channel is only padding, which
        makes OpenCV's warp of a whole frame several times faster than with three channels.
    temperature_k: (Hc / TEMPERATURE_DIVISOR, Wc / TEMPERATURE_DIVISOR) float32 apparent temperature.
    layout: which of LAYOUTS made it (for the metadata).
    horizon_y: canvas row of the horizon in the "horizon" and "street" layouts (walkers and cars keep
        below it), else None.
    lamps: the lamps and hot fixtures painted into it (canvas coordinates), for tests and metadata.
    """

    rgba: np.ndarray
    temperature_k: np.ndarray
    layout: str
    horizon_y: float | None = None
    lamps: tuple[Lamp, ...] = ()


def _scene_layer(rng: np.random.Generator, size_wh: tuple[int, int]) -> np.ndarray:
    image = load_photo(SCENE_PHOTOS[int(rng.integers(len(SCENE_PHOTOS)))])
    crop = random_crop(rng, image, size_wh, zoom=(0.6, 1.3))
    return tint_grey(rng, crop) if is_grey(image) and rng.random() < 0.6 else crop


def _surface_layer(
    rng: np.random.Generator, size_wh: tuple[int, int], zoom: tuple[float, float] = (1.0, 1.5)
) -> np.ndarray:
    image = load_photo(SURFACE_TEXTURES[int(rng.integers(len(SURFACE_TEXTURES)))])
    crop = random_crop(rng, image, size_wh, zoom)
    return tint_grey(rng, crop) if is_grey(image) else crop


def _ground_plane(rng: np.random.Generator, size_wh: tuple[int, int], horizon_y: float) -> np.ndarray:
    """A surface texture seen in perspective, from the horizon line down to the canvas bottom."""
    width, height = size_wh
    source_w, source_h = 2 * width, height
    source = _surface_layer(rng, (source_w, source_h), zoom=(1.0, 1.5))
    spread = rng.uniform(2.0, 4.0)
    top_y = horizon_y + 0.02 * height
    quad_dst = np.float32(
        [
            [-0.2 * width, top_y],
            [1.2 * width, top_y],
            [(0.5 + spread) * width, height],
            [(0.5 - spread) * width, height],
        ]
    )
    quad_src = np.float32([[0, 0], [source_w, 0], [source_w, source_h], [0, source_h]])
    homography = cv2.getPerspectiveTransform(quad_src, quad_dst)
    return cv2.warpPerspective(source, homography, size_wh, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _soft_mask(mask_u8: np.ndarray, feather_px: float) -> np.ndarray:
    mask = mask_u8.astype(np.float32) / 255.0
    return cv2.GaussianBlur(mask, (0, 0), feather_px) if feather_px > 0 else mask


def _add_clutter(rng: np.random.Generator, canvas: SceneCanvas, count: int) -> None:
    """Static objects: signs, windows, poles, bushes; each with its own material."""
    for _ in range(count):
        size = rng.uniform(0.04, 0.25) * canvas.height
        shape = int(rng.integers(3))
        if shape == 0:  # box, sign, window
            aspect = np.exp(rng.normal(0.0, 0.6))
            box_w, box_h = size * aspect, size / aspect
        elif shape == 1:  # pole
            box_w, box_h = rng.uniform(3, 12), size * 6
        else:  # bush, rock
            box_w, box_h = size * rng.uniform(1.0, 2.4), size * rng.uniform(0.6, 1.6)
        box_w, box_h = int(min(max(box_w, 3), canvas.width - 2)), int(min(max(box_h, 3), canvas.height - 2))
        x0 = int(rng.integers(0, canvas.width - box_w))
        y0 = int(rng.integers(0, canvas.height - box_h))
        mask = np.zeros((box_h, box_w), np.uint8)
        if shape == 2:
            cv2.ellipse(mask, (box_w // 2, box_h // 2), (box_w // 2, box_h // 2), 0, 0, 360, 255, -1)
        else:
            mask[:] = 255
        if rng.random() < 0.3:
            layer = random_texture(rng, (box_w, box_h))
        else:
            layer = jitter_colours(rng, _surface_layer(rng, (box_w, box_h), zoom=(1.0, 4.0)), strength=1.5)
        canvas.paint(layer, _soft_mask(mask, rng.uniform(0.0, 1.5)), sample_material(rng), origin_xy=(x0, y0))


def _add_hidden_heat(rng: np.random.Generator, canvas: SceneCanvas, count: int) -> None:
    """Warm or cold spots with no visible trace (vents, pipes, wet patches): heat alone never gives the target away."""
    ys, xs = np.mgrid[0 : canvas.low_wh[1], 0 : canvas.low_wh[0]].astype(np.float32)
    for _ in range(count):
        cx, cy = rng.uniform(0, canvas.low_wh[0]), rng.uniform(0, canvas.low_wh[1])
        radius = rng.uniform(2.0, 10.0)
        amplitude = rng.uniform(2.0, 10.0) * (1.0 if rng.random() < 0.75 else -0.5)
        canvas.temperature_k += amplitude * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius**2))


def _night(rng: np.random.Generator, canvas: SceneCanvas, pools: np.ndarray | None) -> np.ndarray:
    """The canvas as a lamp-lit night shows it: dim light everywhere, pools under the lamps, a colour cast."""
    weather = canvas.weather
    light = np.full((canvas.height, canvas.width), weather.night_light, np.float32)
    if pools is not None:
        light += cv2.resize(pools, (canvas.width, canvas.height), interpolation=cv2.INTER_LINEAR)
    tint = NIGHT_TINTS[int(rng.integers(len(NIGHT_TINTS)))]
    return canvas.rgb * light[:, :, None] * tint[None, None, :]


def build_background(
    rng: np.random.Generator, size_wh: tuple[int, int], weather: Weather, lamp_count: tuple[int, int] = (0, 0)
) -> Background:
    """A random scene canvas of size_wh with its apparent-temperature field and lamp_count lamps."""
    width, height = size_wh
    canvas = SceneCanvas(size_wh, weather)
    layout = LAYOUTS[int(rng.choice(len(LAYOUTS), p=LAYOUT_PROBABILITIES))]
    horizon_y = None
    heads: list[tuple[float, float, float | None]] = []
    if layout == "street":
        horizon_y, posts = paint_street(rng, canvas)
        heads = list(posts)
    elif layout == "photo":
        canvas.paint(_scene_layer(rng, size_wh), None, sample_material(rng))
    elif layout == "surface":  # looking down at the ground, as LLVIP's cameras do: it gives back stored heat
        canvas.paint(_surface_layer(rng, size_wh), None, sample_material(rng), extra_k=weather.ground_warmth_k)
    elif layout == "horizon":
        horizon_y = rng.uniform(0.15, 0.6) * height
        canvas.paint(_scene_layer(rng, size_wh), None, sample_material(rng))
        ys = np.arange(height, dtype=np.float32)[:, None]
        upper_cooling = np.clip(1.0 - ys / horizon_y, 0.0, 1.0)
        canvas.temperature_k -= rng.uniform(0.0, 8.0) * cv2.resize(upper_cooling, (1, canvas.low_wh[1]))
        ground_mask = np.repeat(np.clip((ys - horizon_y) / rng.uniform(2.0, 12.0) + 0.5, 0.0, 1.0), width, axis=1)
        ground_material = sample_material(rng)
        canvas.paint(
            _ground_plane(rng, size_wh, horizon_y), ground_mask, ground_material, extra_k=weather.ground_warmth_k
        )
    else:
        bands = int(rng.integers(2, 5))
        edges = np.sort(rng.uniform(0.1, 0.9, bands - 1)) * width
        xs = np.arange(width, dtype=np.float32)[None, :]
        canvas.paint(_surface_layer(rng, size_wh), None, sample_material(rng))
        for left, right in zip(edges, np.append(edges[1:], width), strict=True):
            band = np.clip(np.minimum(xs - left, right - xs) + 0.5, 0.0, 1.0)
            layer = _scene_layer(rng, size_wh) if rng.random() < 0.4 else _surface_layer(rng, size_wh)
            canvas.paint(layer, np.repeat(band, height, axis=0), sample_material(rng))
    if layout != "street":
        _add_clutter(rng, canvas, int(rng.integers(0, 5)))
    _add_hidden_heat(rng, canvas, int(rng.integers(0, 4)))
    count = int(rng.integers(lamp_count[0], lamp_count[1] + 1)) if lamp_count[1] > 0 else 0
    lamps = sample_lamps(rng, max(count, len(heads) if lamp_count[1] > 0 else 0), size_wh, weather.night, heads)
    pools = paint_lamps(rng, canvas, lamps)
    rgb = jitter_colours(rng, canvas.rgb, strength=0.8)
    if weather.night:
        canvas.rgb = rgb
        rgb = _night(rng, canvas, pools)
    rgb = rgb + canvas.emission
    if rng.random() < 0.25:  # shallow depth of field
        rgb = cv2.GaussianBlur(rgb, (0, 0), rng.uniform(0.6, 2.0))
    canvas.temperature_k = cv2.GaussianBlur(canvas.temperature_k, (0, 0), rng.uniform(0.5, 1.5))
    heat_lamps(canvas, lamps)
    temperature_k = canvas.temperature_k
    rgba = cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8), cv2.COLOR_RGB2RGBA)
    return Background(
        rgba=rgba,
        temperature_k=temperature_k.astype(np.float32),
        layout=layout,
        horizon_y=horizon_y,
        lamps=tuple(lamps),
    )

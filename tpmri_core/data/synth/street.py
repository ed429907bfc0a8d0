"""A procedural street: cold sky, a skyline of buildings and trees, a road in perspective with lane
markings and pavements, and lamp posts. The layout of the real scenes the weights failed on.

What the real pictures show and this draws (checked against LLVIP night streets and RoadScene day and
night driving frames):
- the sky is the coldest thing in LWIR (black in white-hot), well below the air temperature;
- buildings are near the air temperature, textured; their windows are colder (glass reflects the sky)
  and, at night, some are lit in RGB;
- trees are near the air temperature with strong texture in both bands;
- the road is one of the warmest large surfaces (asphalt stores heat, at night it is warmer than the
  air), with colder lane markings visible in thermal;
- lamp posts line the road; their heads are hot compact blobs (see lamps.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from tpmri_core.data.synth.canvas import SceneCanvas
from tpmri_core.data.synth.textures import detail_map
from tpmri_core.data.synth.weather import Material

_MINERAL = ("gravel", "brick", "moon")
"""Photographs whose detail looks like plaster, stone and asphalt (no text or coins on a wall, no grass on a road)."""
_LEAVES = ("grass", "gravel")
_FACADES = np.array(
    [[180, 170, 150], [140, 120, 100], [200, 195, 185], [110, 105, 100], [160, 90, 70], [90, 95, 105]], np.float32
)


def _textured(
    rng: np.random.Generator,
    size_wh: tuple[int, int],
    colour: np.ndarray,
    amount: float,
    names: tuple[str, ...] = _MINERAL,
) -> np.ndarray:
    detail = detail_map(rng, size_wh, zoom=(1.0, 4.0), names=names)
    return np.clip(colour[None, None, :] * (1.0 + amount * detail[:, :, None]), 0, 255).astype(np.float32)


def _sky(rng: np.random.Generator, canvas: SceneCanvas, horizon_y: float) -> None:
    width, height = canvas.width, canvas.height
    ys = np.arange(height, dtype=np.float32)[:, None, None] / max(horizon_y, 1.0)
    top = np.float32([90, 130, 200]) * rng.uniform(0.7, 1.2)
    bottom = np.float32([200, 210, 225]) * rng.uniform(0.8, 1.1)
    if rng.random() < 0.35:  # overcast
        top = bottom = np.float32([175, 178, 185]) * rng.uniform(0.7, 1.1)
    gradient = np.clip(top + (bottom - top) * np.clip(ys, 0, 1), 0, 255) * np.ones((1, width, 1), np.float32)
    weather = canvas.weather
    # Apparent sky temperature rises towards the horizon (longer path through warm air).
    low_ys = np.arange(canvas.low_wh[1], dtype=np.float32)[:, None] * 2.0 / max(horizon_y, 1.0)
    sky_k = weather.sky_k + (weather.ambient_k - weather.sky_k) * 0.5 * np.clip(low_ys, 0, 1) ** 2
    flat = Material(offset_k=0.0, absorptivity=0.0, detail_k=0.0, emissivity=1.0)
    below_air_k = np.repeat((sky_k - weather.ambient_k).astype(np.float32), canvas.low_wh[0], axis=1)
    canvas.paint(gradient, None, flat, extra_k=below_air_k)


def _building(rng: np.random.Generator, canvas: SceneCanvas, x0: int, x1: int, top: int, base: int) -> None:
    weather = canvas.weather
    size = (x1 - x0, base - top)
    colour = _FACADES[int(rng.integers(len(_FACADES)))] * np.exp(rng.normal(0.0, 0.12, 3)).astype(np.float32)
    layer = _textured(rng, size, colour, rng.uniform(0.03, 0.15))  # plaster and paint: far smoother than gravel
    facade = Material(
        offset_k=rng.uniform(-0.5, 3.0),
        absorptivity=rng.uniform(0.3, 0.9),
        detail_k=rng.uniform(0.2, 1.5),
        emissivity=0.93,
    )
    glass_k = np.zeros((size[1], size[0]), np.float32)
    window_w = int(rng.uniform(0.02, 0.05) * canvas.height) + 2
    window_h = int(rng.uniform(0.025, 0.06) * canvas.height) + 2
    gap_x, gap_y = int(window_w * rng.uniform(0.6, 1.8)) + 2, int(window_h * rng.uniform(0.6, 1.5)) + 2
    glass = np.float32([50, 60, 75]) * rng.uniform(0.6, 1.5)
    lit_share = rng.uniform(0.1, 0.5) if weather.night else 0.0
    emissions = []
    sky_cooling = 0.12 * (weather.sky_k - weather.ambient_k)  # glass reflects the cold sky
    for wy in range(gap_y // 2, size[1] - window_h - gap_y // 2, window_h + gap_y):
        for wx in range(gap_x // 2, size[0] - window_w - gap_x // 2, window_w + gap_x):
            layer[wy : wy + window_h, wx : wx + window_w] = glass
            glass_k[wy : wy + window_h, wx : wx + window_w] = sky_cooling - facade.offset_k
            if rng.random() < lit_share:
                emissions.append((wx, wy))
    canvas.paint(layer, None, facade, origin_xy=(x0, top), extra_k=glass_k)
    warm_light = np.float32([1.0, 0.85, 0.55]) * rng.uniform(0.6, 1.0)
    for wx, wy in emissions:
        lit = warm_light * rng.uniform(60, 200)
        canvas.emission[top + wy : top + wy + window_h, x0 + wx : x0 + wx + window_w] += lit


def _tree(rng: np.random.Generator, canvas: SceneCanvas, cx: float, base: float, crown_h: float) -> None:
    width = int(crown_h * rng.uniform(0.6, 1.2)) + 4
    height = int(crown_h * 1.35) + 4
    x0 = int(np.clip(cx - width / 2, 0, canvas.width - width - 1))
    y0 = int(np.clip(base - height, 0, canvas.height - height - 1))
    mask = np.zeros((height, width), np.uint8)
    trunk_w = max(2, int(width * rng.uniform(0.05, 0.1)))
    trunk = ((width - trunk_w) // 2, int(height * 0.6)), ((width + trunk_w) // 2, height - 1)
    cv2.rectangle(mask, *trunk, 255, -1)
    for _ in range(int(rng.integers(8, 18))):
        centre = (int(rng.uniform(0.15, 0.85) * width), int(rng.uniform(0.1, 0.6) * height))
        axes = (int(rng.uniform(0.1, 0.3) * width) + 1, int(rng.uniform(0.08, 0.22) * height) + 1)
        cv2.ellipse(mask, centre, axes, rng.uniform(0, 180), 0, 360, 255, -1)
    green = np.float32([55, 85, 40]) * np.exp(rng.normal(0.0, 0.25, 3)).astype(np.float32)
    layer = _textured(rng, (width, height), green, rng.uniform(0.3, 0.7), _LEAVES)
    foliage = Material(
        offset_k=rng.uniform(-1.5, 1.5), absorptivity=0.2, detail_k=rng.uniform(0.8, 2.5), emissivity=0.97
    )
    canvas.paint(layer, cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 0.8), foliage, origin_xy=(x0, y0))


def _skyline(rng: np.random.Generator, canvas: SceneCanvas, horizon_y: float) -> None:
    x = -int(rng.uniform(0, 0.1) * canvas.width)
    base = int(min(canvas.height - 2, horizon_y + 0.03 * canvas.height))
    while x < canvas.width:
        kind = rng.random()
        if kind < 0.55:
            span = int(rng.uniform(0.12, 0.45) * canvas.width)
            top = int(np.clip(horizon_y - rng.uniform(0.08, 0.5) * canvas.height, 0, base - 8))
            x0, x1 = max(0, x), min(canvas.width, x + span)
            if x1 - x0 > 8:
                _building(rng, canvas, x0, x1, top, base)
            x += span
        elif kind < 0.9:
            crown = rng.uniform(0.1, 0.4) * canvas.height
            _tree(rng, canvas, x + crown / 3, base, crown)
            x += int(crown * rng.uniform(0.3, 0.8))
        else:
            x += int(rng.uniform(0.03, 0.15) * canvas.width)  # a gap: sky to the horizon


def _road(rng: np.random.Generator, canvas: SceneCanvas, horizon_y: float) -> float:
    """Pavement, road and lane markings in perspective; returns the vanishing point's x."""
    width, height = canvas.width, canvas.height
    weather = canvas.weather
    top = int(horizon_y)
    size = (width, height - top)
    vx = rng.uniform(0.25, 0.75) * width
    road_half = rng.uniform(0.5, 1.4) * width  # half width of the road at the bottom row
    ys, xs = np.mgrid[top:height, 0:width].astype(np.float32)
    depth = np.maximum(ys - horizon_y, 0.5) / (height - horizon_y)  # 0 at the horizon, 1 at the bottom
    across = (xs - vx) / (road_half * depth)  # -1 .. 1 on the road
    pavement = np.float32([150, 148, 140]) * rng.uniform(0.7, 1.15)
    asphalt = np.float32([85, 85, 88]) * rng.uniform(0.6, 1.3)
    layer = _textured(rng, size, pavement, rng.uniform(0.04, 0.15))
    on_road = np.clip(1.2 - np.abs(across), 0.0, 1.0)[:, :, None] * np.clip((depth - 0.002) * 400, 0, 1)[:, :, None]
    road_layer = _textured(rng, size, asphalt, rng.uniform(0.02, 0.1))
    layer += (road_layer - layer) * on_road
    paint = np.float32([235, 235, 225]) if rng.random() < 0.7 else np.float32([230, 190, 60])
    marking = np.zeros(size[::-1], np.float32)
    line_half = rng.uniform(0.012, 0.03)
    dash_period = rng.uniform(0.15, 0.35)  # in inverse depth
    inverse_depth = 1.0 / depth
    dashed = (inverse_depth / dash_period) % 1.0 < 0.5
    for position in (0.0, -0.92, 0.92) if rng.random() < 0.7 else (-0.33, 0.33, -0.92, 0.92):
        line = np.abs(across - position) < line_half
        marking = np.maximum(marking, (line & (dashed | (abs(position) > 0.9))).astype(np.float32))
    marking = cv2.GaussianBlur(marking, (0, 0), 0.7)
    layer += (paint - layer) * marking[:, :, None]
    ground = Material(offset_k=0.0, absorptivity=0.9, detail_k=rng.uniform(0.2, 1.0), emissivity=0.95)
    extra = weather.ground_warmth_k * (0.6 + 0.4 * on_road[:, :, 0]) - rng.uniform(1.0, 3.0) * marking
    mask = np.clip((ys - horizon_y) / 3.0, 0.0, 1.0)
    canvas.paint(layer, mask, ground, origin_xy=(0, top), extra_k=extra)
    return float(vx)


def paint_street(rng: np.random.Generator, canvas: SceneCanvas) -> tuple[float, list[tuple[float, float, float]]]:
    """Paint a whole street scene; returns the horizon row and the (x, y, ground y) of each lamp post's head."""
    height = canvas.height
    horizon_y = float(rng.uniform(0.28, 0.55) * height)
    _sky(rng, canvas, horizon_y)
    _skyline(rng, canvas, horizon_y)
    vx = _road(rng, canvas, horizon_y)
    heads = []
    side_offsets = rng.uniform(1.05, 1.6)
    pole_colour = np.float32([90, 90, 95]) * rng.uniform(0.6, 1.4)
    metal = Material(offset_k=-0.5, absorptivity=0.5, detail_k=0.0, emissivity=rng.uniform(0.5, 0.9))
    for k in range(int(rng.integers(0, 7))):
        depth = float(np.clip(1.0 / (1.0 + 1.3 * k + rng.uniform(0, 0.8)), 0.06, 1.0))
        side = 1.0 if (k + int(rng.integers(2))) % 2 else -1.0
        base_y = horizon_y + depth * (height - horizon_y)
        base_x = vx + side * side_offsets * depth * canvas.width * rng.uniform(0.5, 1.4)
        pole_h = depth * rng.uniform(0.8, 1.6) * height
        thickness = max(1, int(depth * rng.uniform(4, 10)))
        x = int(base_x)
        y0, y1 = int(max(1, base_y - pole_h)), int(min(height - 1, base_y))
        if not (thickness < x < canvas.width - 2 * thickness - 1) or y1 - y0 < 6:
            continue
        mask = np.zeros((y1 - y0, 2 * thickness + 1), np.float32)
        mask[:, thickness // 2 : thickness // 2 + thickness] = 1.0
        layer = np.broadcast_to(pole_colour, (*mask.shape, 3)).astype(np.float32)
        canvas.paint(layer, mask, metal, origin_xy=(x - thickness, y0))
        head_x = x - side * depth * rng.uniform(10, 40)
        heads.append((float(np.clip(head_x, 2, canvas.width - 3)), float(y0 + 2), float(base_y)))
    return horizon_y, heads

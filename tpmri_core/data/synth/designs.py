"""Random looks for targets and occluders: silhouette proportions, part colours and textures, part temperatures.

A design is data, so a look-alike distractor is the same design with small changes (`resemble`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from tpmri_core.data.synth.photos import SURFACE_TEXTURES
from tpmri_core.data.synth.shapes import CANONICAL_SIZE
from tpmri_core.data.synth.textures import detail_map, random_colour, random_texture
from tpmri_core.data.synth.weather import Weather

NUM_GENES = 10

_SKIN_TONES = np.array(
    [[255, 220, 190], [240, 190, 150], [210, 160, 120], [170, 120, 85], [120, 80, 55], [85, 55, 40]], np.float32
)
_HAIR = np.array(
    [[20, 15, 12], [60, 40, 25], [110, 75, 40], [200, 170, 110], [150, 150, 150], [35, 35, 40]], np.float32
)
_CAR_PAINT = np.array(
    [
        [235, 235, 235],
        [25, 25, 28],
        [170, 172, 178],
        [95, 98, 105],
        [160, 20, 25],
        [25, 50, 120],
        [20, 30, 60],
        [30, 80, 45],
        [220, 180, 30],
        [120, 60, 30],
    ],
    np.float32,
)
_FUR = np.array(
    [[120, 80, 45], [40, 30, 25], [220, 210, 195], [140, 135, 130], [190, 120, 60], [200, 170, 120]], np.float32
)
_CLOTH = np.array(
    [
        [30, 30, 35],
        [40, 55, 100],
        [190, 190, 185],
        [120, 30, 35],
        [60, 90, 60],
        [150, 130, 100],
        [90, 90, 95],
        [200, 120, 40],
    ],
    np.float32,
)


@dataclass(frozen=True)
class PartStyle:
    """Args:
    texture: (h, w, 3) float32 RGB in [0, 255] over the whole sprite canvas (the part's mask cuts it out).
    apparent_k: the part's apparent temperature (emissivity and reflected sky already applied).
    core_k: how much warmer the part's core is than its outline (bodies are warm inside).
    """

    texture: np.ndarray
    apparent_k: float
    core_k: float


@dataclass(frozen=True)
class Design:
    """Args:
    kind: a key of shapes.DRAWERS.
    canvas_wh: sprite canvas size (longer side CANONICAL_SIZE).
    genes: (NUM_GENES,) proportions in [0, 1] read by the kind's drawer.
    parts: one style per part number the drawer uses.
    hot_spots: (N, 4) engines, exhausts, heads: x, y as canvas fractions, radius as a fraction of the
        longer side, and kelvin added.
    heat_detail: (h, w) float32 kelvin of smooth variation over the whole canvas.
    num_poses: distinct poses over one motion cycle (1 for rigid things).
    light_level: how much light falls on it, 1 by day; at night a street-lit fraction of it.
    emissive_parts: parts that give off their own light (vehicle lights at night): not dimmed by
        light_level, so head and tail lights stay bright while the car body goes dark.
    """

    kind: str
    canvas_wh: tuple[int, int]
    genes: np.ndarray
    parts: tuple[PartStyle, ...]
    hot_spots: np.ndarray
    heat_detail: np.ndarray
    num_poses: int
    light_level: float = 1.0
    emissive_parts: frozenset[int] = frozenset()


def _pick(rng: np.random.Generator, palette: np.ndarray, spread: float = 0.12) -> np.ndarray:
    colour = palette[int(rng.integers(len(palette)))] * np.exp(rng.normal(0.0, spread, 3))
    return np.clip(colour, 0, 255).astype(np.float32)


def _fabric(
    rng: np.random.Generator, canvas_wh: tuple[int, int], colour: np.ndarray, contrast: tuple[float, float]
) -> np.ndarray:
    """A plain colour modulated by the detail of a random photograph (weave, fur, reflections)."""
    detail = detail_map(rng, canvas_wh, zoom=(1.0, 6.0))
    amount = rng.uniform(*contrast)
    return np.clip(colour[None, None, :] * (1.0 + amount * detail[:, :, None]), 0, 255).astype(np.float32)


def _clothing(rng: np.random.Generator, canvas_wh: tuple[int, int]) -> np.ndarray:
    if rng.random() < 0.2:  # printed or patterned
        return random_texture(rng, canvas_wh, zoom=(1.0, 4.0))
    colour = _pick(rng, _CLOTH, 0.25) if rng.random() < 0.6 else random_colour(rng)
    return _fabric(rng, canvas_wh, colour, (0.05, 0.35))


def _surface_k(weather: Weather, rng: np.random.Generator, over_ambient: float, emissivity: float = 0.95) -> float:
    surface = weather.ambient_k + over_ambient + 4.0 * weather.solar_load * rng.uniform(0.2, 1.0)
    return float(emissivity * surface + (1.0 - emissivity) * weather.sky_k)


def _heat_detail(rng: np.random.Generator, canvas_wh: tuple[int, int], kelvin: float) -> np.ndarray:
    return (kelvin * detail_map(rng, canvas_wh, zoom=(1.0, 2.0))).astype(np.float32)


def _canvas_for(kind: str, genes: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    size = CANONICAL_SIZE
    if kind == "person":
        return (80, size)
    if kind == "vehicle":
        return (size, 64) if genes[9] < 0.55 else (size, 100)
    if kind == "animal":
        return (size, 96)
    if kind == "bike":
        return (size, 112)
    aspect = float(np.exp(rng.uniform(-0.7, 0.7)))
    return (size, max(16, int(size / aspect))) if aspect >= 1 else (max(16, int(size * aspect)), size)


def _person_parts(rng: np.random.Generator, canvas_wh: tuple[int, int], weather: Weather) -> tuple[PartStyle, ...]:
    ambient = weather.ambient_k
    skin_k = ambient + (307.0 - ambient) * rng.uniform(0.75, 0.92)
    insulation = rng.uniform(0.25, 0.7)
    clothes_k = ambient + (skin_k - ambient) * insulation
    return (
        PartStyle(_fabric(rng, canvas_wh, _pick(rng, _SKIN_TONES, 0.06), (0.02, 0.08)), skin_k, 0.6),
        PartStyle(
            _fabric(rng, canvas_wh, _pick(rng, _HAIR, 0.15), (0.05, 0.25)),
            ambient + (skin_k - ambient) * rng.uniform(0.4, 0.75),
            0.4,
        ),
        PartStyle(_clothing(rng, canvas_wh), _surface_k(weather, rng, clothes_k - ambient), rng.uniform(0.5, 2.0)),
        PartStyle(
            _clothing(rng, canvas_wh),
            _surface_k(weather, rng, (clothes_k - ambient) * rng.uniform(0.6, 1.0)),
            rng.uniform(0.3, 1.5),
        ),
        PartStyle(
            _fabric(rng, canvas_wh, _pick(rng, _HAIR, 0.2) * 0.6, (0.02, 0.2)), ambient + rng.uniform(0.5, 3.0), 0.0
        ),
        PartStyle(_clothing(rng, canvas_wh), _surface_k(weather, rng, rng.uniform(0.0, 1.5)), 0.0),
    )


def _vehicle_parts(rng: np.random.Generator, canvas_wh: tuple[int, int], weather: Weather) -> tuple[PartStyle, ...]:
    ambient = weather.ambient_k
    paint = _pick(rng, _CAR_PAINT, 0.08) if rng.random() < 0.8 else random_colour(rng, (0.4, 1.0))
    paint_k = _surface_k(weather, rng, rng.uniform(0.0, 3.0), emissivity=rng.uniform(0.85, 0.95))
    glass_k = 0.85 * (ambient + rng.uniform(0.0, 3.0)) + 0.15 * weather.sky_k
    return (
        PartStyle(_fabric(rng, canvas_wh, paint, (0.08, 0.3)), paint_k, 0.5),
        PartStyle(_fabric(rng, canvas_wh, np.float32([45, 55, 65]) * rng.uniform(0.5, 1.6), (0.2, 0.5)), glass_k, 0.0),
        PartStyle(
            _fabric(rng, canvas_wh, np.float32([25, 25, 25]) * rng.uniform(0.6, 1.4), (0.05, 0.2)),
            ambient + rng.uniform(3.0, 15.0),
            0.5,
        ),
        PartStyle(
            _fabric(rng, canvas_wh, np.float32([150, 150, 155]) * rng.uniform(0.6, 1.3), (0.1, 0.3)),
            ambient + rng.uniform(-2.0, 4.0),
            0.0,
        ),
        PartStyle(
            _fabric(rng, canvas_wh, np.float32([235, 235, 220]), (0.0, 0.1)), ambient + rng.uniform(0.0, 8.0), 0.0
        ),
        PartStyle(
            _fabric(rng, canvas_wh, np.float32([200, 25, 20]) * rng.uniform(0.7, 1.2), (0.0, 0.1)),
            ambient + rng.uniform(1.0, 6.0),
            0.0,
        ),
        PartStyle(
            _fabric(rng, canvas_wh, np.float32([40, 40, 42]) * rng.uniform(0.6, 1.8), (0.05, 0.2)),
            paint_k + rng.uniform(0.0, 2.0),
            0.0,
        ),
    )


def _animal_parts(rng: np.random.Generator, canvas_wh: tuple[int, int], weather: Weather) -> tuple[PartStyle, ...]:
    ambient = weather.ambient_k
    fur = _pick(rng, _FUR, 0.12)
    fur_k = ambient + (311.0 - ambient) * rng.uniform(0.3, 0.6)
    return (
        PartStyle(_fabric(rng, canvas_wh, fur, (0.15, 0.5)), fur_k, rng.uniform(0.5, 2.0)),
        PartStyle(
            _fabric(rng, canvas_wh, fur * rng.uniform(0.5, 0.95), (0.15, 0.5)), fur_k - rng.uniform(0.5, 3.0), 0.3
        ),
        PartStyle(
            _fabric(rng, canvas_wh, np.float32([20, 15, 12]), (0.0, 0.1)), ambient + (309.0 - ambient) * 0.9, 0.0
        ),
    )


def _bike_parts(rng: np.random.Generator, canvas_wh: tuple[int, int], weather: Weather) -> tuple[PartStyle, ...]:
    rider = _person_parts(rng, canvas_wh, weather)
    ambient = weather.ambient_k
    frame_colour = _pick(rng, _CAR_PAINT, 0.1)
    return (
        rider[0],
        PartStyle(_fabric(rng, canvas_wh, random_colour(rng), (0.0, 0.2)), rider[1].apparent_k, 0.2),
        rider[2],
        rider[3],
        PartStyle(
            _fabric(rng, canvas_wh, frame_colour, (0.05, 0.2)),
            _surface_k(weather, rng, rng.uniform(0.0, 3.0), emissivity=0.8),
            0.0,
        ),
        PartStyle(_fabric(rng, canvas_wh, np.float32([28, 28, 28]), (0.0, 0.15)), ambient + rng.uniform(1.0, 6.0), 0.0),
    )


def _object_parts(rng: np.random.Generator, canvas_wh: tuple[int, int], weather: Weather) -> tuple[PartStyle, ...]:
    body_k = _surface_k(weather, rng, rng.uniform(-4.0, 25.0), emissivity=rng.uniform(0.6, 0.97))
    body = (
        random_texture(rng, canvas_wh, zoom=(1.0, 3.0))
        if rng.random() < 0.6
        else _fabric(rng, canvas_wh, random_colour(rng), (0.1, 0.4))
    )
    band = _fabric(rng, canvas_wh, random_colour(rng), (0.0, 0.3))
    return (PartStyle(body, body_k, rng.uniform(0.0, 3.0)), PartStyle(band, body_k + rng.normal(0.0, 3.0), 0.0))


def _hot_spots(rng: np.random.Generator, kind: str, genes: np.ndarray) -> np.ndarray:
    spots: list[tuple[float, float, float, float]] = []
    if kind == "vehicle":
        if genes[9] < 0.55:  # side view: engine at the front (right), exhaust at the back
            if rng.random() < 0.85:
                spots.append(
                    (rng.uniform(0.78, 0.92), rng.uniform(0.5, 0.65), rng.uniform(0.12, 0.2), rng.uniform(6.0, 30.0))
                )
            spots.append((0.05, 0.8, rng.uniform(0.03, 0.05), rng.uniform(10.0, 50.0)))
        else:
            side = 0.3 if rng.random() < 0.5 else 0.7
            spots.append((side, 0.88, rng.uniform(0.03, 0.06), rng.uniform(15.0, 60.0)))
            spots.append((0.5, 0.8, rng.uniform(0.25, 0.35), rng.uniform(2.0, 10.0)))
    elif kind == "animal":
        spots.append((0.83, 0.22, 0.09, rng.uniform(1.0, 4.0)))
    elif kind == "bike" and genes[9] > 0.6:
        spots.append((0.5, 0.72, rng.uniform(0.1, 0.15), rng.uniform(15.0, 45.0)))
    elif kind == "object":
        for _ in range(int(rng.integers(0, 3))):
            spots.append(
                (rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.2), rng.uniform(-3.0, 20.0))
            )
    return np.array(spots, np.float64).reshape(-1, 4)


_PART_BUILDERS = {
    "person": _person_parts,
    "vehicle": _vehicle_parts,
    "animal": _animal_parts,
    "bike": _bike_parts,
    "object": _object_parts,
}
_NUM_POSES = {"person": 8, "vehicle": 1, "animal": 8, "bike": 8, "object": 1}


_HEAD_LIGHT = np.float32([255, 250, 235])
_TAIL_LIGHT = np.float32([255, 45, 30])


def _lights_on(
    rng: np.random.Generator, kind: str, genes: np.ndarray, parts: tuple[PartStyle, ...], canvas_wh: tuple[int, int]
) -> tuple[tuple[PartStyle, ...], frozenset[int]]:
    """At night most vehicles drive with lights on: saturated white head lights, red tail lights (RoadScene,
    LLVIP night frames); the rear view's part 4 is the number plate, which only reflects."""
    if kind != "vehicle" or rng.random() > 0.85:
        return parts, frozenset()
    side_view = genes[9] < 0.55
    emissive = {5} | ({4} if side_view else set())
    styled = list(parts)
    brightness = rng.uniform(1.0, 1.6)
    for part in emissive:
        colour = _HEAD_LIGHT if part == 4 else _TAIL_LIGHT
        texture = np.broadcast_to(np.clip(colour * brightness, 0, 255), (canvas_wh[1], canvas_wh[0], 3))
        styled[part] = dataclasses.replace(parts[part], texture=texture.astype(np.float32))
    return tuple(styled), frozenset(emissive)


def sample_target_design(rng: np.random.Generator, kind: str, weather: Weather) -> Design:
    genes = rng.random(NUM_GENES)
    canvas_wh = _canvas_for(kind, genes, rng)
    parts = _PART_BUILDERS[kind](rng, canvas_wh, weather)
    light_level, emissive = 1.0, frozenset()
    if weather.night:
        # Targets stand in or near the lamps' light: brighter than the unlit background, still dark.
        light_level = float(min(0.8, weather.night_light * rng.uniform(1.0, 3.5)))
        parts, emissive = _lights_on(rng, kind, genes, parts, canvas_wh)
    return Design(
        kind=kind,
        canvas_wh=canvas_wh,
        genes=genes,
        parts=parts,
        hot_spots=_hot_spots(rng, kind, genes),
        heat_detail=_heat_detail(rng, canvas_wh, rng.uniform(0.1, 0.6)),
        num_poses=_NUM_POSES[kind],
        light_level=light_level,
        emissive_parts=emissive,
    )


def sample_occluder_design(rng: np.random.Generator, weather: Weather) -> Design:
    """A pole or tree trunk, a board or wall, or a bush: near ambient temperature, unlike most targets."""
    kind = ("pole", "board", "foliage")[int(rng.choice(3, p=[0.4, 0.3, 0.3]))]
    if kind == "pole":
        canvas_wh = (int(rng.integers(14, 40)), CANONICAL_SIZE)
        texture = random_texture(rng, canvas_wh, SURFACE_TEXTURES, zoom=(1.0, 3.0))
    elif kind == "board":
        canvas_wh = (CANONICAL_SIZE, int(rng.integers(48, 128)))
        texture = random_texture(rng, canvas_wh, zoom=(1.0, 2.0))
    else:
        canvas_wh = (CANONICAL_SIZE, int(rng.integers(80, 128)))
        green = np.float32([60, 110, 40]) * np.exp(rng.normal(0.0, 0.2, 3)).astype(np.float32)
        texture = _fabric(rng, canvas_wh, green, (0.3, 0.6))
    apparent_k = _surface_k(weather, rng, rng.normal(0.0, 1.5), emissivity=rng.uniform(0.85, 0.97))
    parts = (PartStyle(texture, apparent_k, 0.0), PartStyle(texture * 0.7, apparent_k + rng.normal(0.0, 1.0), 0.0))
    return Design(
        kind=kind,
        canvas_wh=canvas_wh,
        genes=rng.random(NUM_GENES),
        parts=parts,
        hot_spots=np.zeros((0, 4)),
        heat_detail=_heat_detail(rng, canvas_wh, rng.uniform(0.1, 0.8)),
        num_poses=1,
        light_level=float(min(0.8, weather.night_light * rng.uniform(1.0, 3.0))) if weather.night else 1.0,
    )


def resemble(design: Design, rng: np.random.Generator, strength: float = 1.0) -> Design:
    """A look-alike of `design`: same kind and textures, slightly different colours, proportions and heat."""
    genes = design.genes.copy()
    genes[:-1] = np.clip(
        genes[:-1] + rng.normal(0.0, 0.06 * strength, NUM_GENES - 1), 0.0, 1.0
    )  # gene 9 picks the view
    parts = tuple(
        dataclasses.replace(
            part,
            texture=np.clip(part.texture * np.exp(rng.normal(0.0, 0.07 * strength, 3)).astype(np.float32), 0, 255),
            apparent_k=part.apparent_k + float(rng.normal(0.0, 0.8 * strength)),
        )
        for part in design.parts
    )
    hot_spots = design.hot_spots.copy()
    if len(hot_spots):
        hot_spots[:, 3] *= np.exp(rng.normal(0.0, 0.2 * strength, len(hot_spots)))
    return dataclasses.replace(design, genes=genes, parts=parts, hot_spots=hot_spots)

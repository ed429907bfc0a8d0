"""Street lamps and other small hot fixtures: the compact bright blobs that real night scenes are full of.

The default weights learned "the target is the compact bright blob in thermal" because the generator
had no such blobs besides the target; in LLVIP and RoadScene night frames every street has them.
A lamp is warm in thermal (the housing of a sodium or halogen lamp is tens of kelvin above the air;
LEDs less) and, when lit, a saturated core with a wide coloured halo in RGB and a pool of light on the
ground below it; a lamp's reflection on a wet road is a bright streak in RGB and, more weakly, in
thermal. By day, lamps are off and the hot compact things are vents, exhausts and sun-heated metal:
warm blobs with only a small grey fixture in RGB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tpmri_core.data.synth.canvas import SceneCanvas

LAMP_COLOURS = np.array(
    [[1.0, 0.72, 0.38], [1.0, 0.85, 0.6], [0.92, 0.96, 1.0], [1.0, 1.0, 0.95], [0.85, 0.9, 1.0]], np.float32
)
"""Sodium orange, warm halogen, cold LED, neutral and blueish white (as lamps look in LLVIP / RoadScene)."""


@dataclass(frozen=True)
class Lamp:
    """Args:
    centre_xy: canvas position of the lamp head.
    radius_px: radius of the bright, hot core in canvas pixels.
    heat_k: kelvin over ambient at the core.
    colour: (3,) light colour in [0, 1].
    ground_y: canvas row of the ground below it (for the pool of light and the reflection), or None.
    """

    centre_xy: tuple[float, float]
    radius_px: float
    heat_k: float
    colour: np.ndarray
    ground_y: float | None


def sample_lamps(
    rng: np.random.Generator,
    count: int,
    canvas_wh: tuple[int, int],
    night: bool,
    heads_xy: list[tuple[float, float, float | None]] | None = None,
) -> list[Lamp]:
    """`count` lamps at random places (or at the given (x, y, ground_y) pole heads first)."""
    width, height = canvas_wh
    places = list(heads_xy or [])
    while len(places) < count:
        places.append((rng.uniform(0.02, 0.98) * width, rng.uniform(0.05, 0.9) * height, None))
    lamps = []
    for x, y, ground_y in places[:count]:
        radius = float(np.exp(rng.uniform(np.log(1.5), np.log(6.0))))
        heat = rng.uniform(8.0, 60.0) if night else rng.uniform(3.0, 25.0)
        lamps.append(
            Lamp(
                centre_xy=(float(x), float(y)),
                radius_px=radius,
                heat_k=float(heat),
                colour=LAMP_COLOURS[int(rng.integers(len(LAMP_COLOURS)))],
                ground_y=ground_y,
            )
        )
    return lamps


def heat_lamps(canvas: SceneCanvas, lamps: list[Lamp]) -> None:
    """Add the lamps' heat: after the scene's heat is smoothed, so that a small hot lamp stays small and hot."""
    for lamp in lamps:
        canvas.add_heat_blob(lamp.centre_xy, lamp.radius_px, lamp.heat_k)


def paint_lamps(rng: np.random.Generator, canvas: SceneCanvas, lamps: list[Lamp]) -> np.ndarray | None:
    """Paint the lamps' fixtures and (at night) light; return the night pools of light, (Hc/4, Wc/4) or None."""
    night = canvas.weather.night
    pools = None
    if night and lamps:
        pools = np.zeros((canvas.height // 4 + 1, canvas.width // 4 + 1), np.float32)
    for lamp in lamps:
        cx, cy = lamp.centre_xy
        # The fixture itself, lit or not: a small grey body.
        x0, y0 = int(max(0, cx - lamp.radius_px)), int(max(0, cy - lamp.radius_px))
        x1 = int(min(canvas.width, cx + lamp.radius_px + 1))
        y1 = int(min(canvas.height, cy + lamp.radius_px + 1))
        canvas.rgb[y0:y1, x0:x1] = canvas.rgb[y0:y1, x0:x1] * 0.3 + np.float32(rng.uniform(90, 200)) * 0.7
        if not night:
            continue
        # Saturated core and a wide halo (lens glare), larger for brighter lamps.
        canvas.add_glow(lamp.centre_xy, lamp.radius_px, lamp.colour, rng.uniform(400.0, 900.0))
        canvas.add_glow(lamp.centre_xy, lamp.radius_px * rng.uniform(3.0, 9.0), lamp.colour, rng.uniform(40.0, 160.0))
        if lamp.ground_y is not None and pools is not None:
            spread = max(8.0, 0.6 * (lamp.ground_y - cy))
            gx, gy = cx / 4, lamp.ground_y / 4
            ys, xs = np.mgrid[0 : pools.shape[0], 0 : pools.shape[1]].astype(np.float32)
            pools += rng.uniform(0.15, 0.6) * np.exp(
                -((xs - gx) ** 2) / (2 * (spread / 4) ** 2) - (ys - gy) ** 2 / (2 * (0.4 * spread / 4) ** 2)
            )
            if rng.random() < 0.35:  # reflection on a wet road: a vertical streak below the ground point
                streak_y = lamp.ground_y + rng.uniform(5.0, 25.0)
                for step in range(4):
                    canvas.add_glow((cx, streak_y + step * 6.0), 3.0, lamp.colour, rng.uniform(40.0, 110.0))
                canvas.add_heat_blob((cx, streak_y + 9.0), 6.0, 0.08 * lamp.heat_k)
    return pools

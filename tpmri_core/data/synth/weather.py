"""The thermal conditions of one sequence: ambient air, sunshine and the sky that surfaces reflect."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KELVIN_AT_0C = 273.15


@dataclass(frozen=True)
class Weather:
    """Args:
    ambient_k: air temperature; unheated surfaces settle near it.
    solar_load: 0 (night, overcast) to 1 (full sun): dark, absorbing surfaces warm up by up to ~15 K.
    sky_k: apparent temperature of the sky, reflected by low-emissivity surfaces (glass, metal).
    night: lit only by street lamps: RGB is dark (`night_light` of daylight away from lamps), lamps,
        lit windows and vehicle lights glow; the ground gives back the day's heat (`ground_warmth_k`).
    night_light: the fraction of daylight that reaches surfaces away from lamps at night (1 by day).
    ground_warmth_k: how much warmer than the air roads and pavements are (asphalt stores the day's
        heat: at night it is the warmest large surface in LLVIP and RoadScene night frames).
    """

    ambient_k: float
    solar_load: float
    sky_k: float
    night: bool = False
    night_light: float = 1.0
    ground_warmth_k: float = 0.0


def sample_weather(rng: np.random.Generator, ambient_c: tuple[float, float], night_probability: float = 0.0) -> Weather:
    ambient_k = KELVIN_AT_0C + rng.uniform(*ambient_c)
    solar_load = 0.0 if rng.random() < 0.25 else rng.uniform(0.1, 1.0)
    sky_k = ambient_k - rng.uniform(8.0, 35.0)
    # Drawn after the old draws, so the day part of the weather of a seed does not depend on the night share.
    night = bool(rng.random() < night_probability)
    night_light = float(rng.uniform(0.08, 0.3)) if night else 1.0
    ground_warmth_k = float(rng.uniform(1.5, 7.0)) if night else float(rng.uniform(0.0, 3.0))
    if night:
        solar_load = 0.0
    return Weather(
        ambient_k=float(ambient_k),
        solar_load=float(solar_load),
        sky_k=float(sky_k),
        night=night,
        night_light=night_light,
        ground_warmth_k=ground_warmth_k,
    )


@dataclass(frozen=True)
class Material:
    """How a surface turns sunshine and its own colour into apparent temperature.

    Args:
        offset_k: its own warmth over ambient (heating, shade, evaporation).
        absorptivity: fraction of the solar load that warms it (dark surfaces more).
        detail_k: how strongly its visible texture shows up in its temperature (sign: dark=warm or cold).
        emissivity: below 1, the surface reflects the sky instead of showing its own temperature.
    """

    offset_k: float
    absorptivity: float
    detail_k: float
    emissivity: float

    def apparent_temperature(self, weather: Weather, luminance: np.ndarray) -> np.ndarray:
        """(h, w) float32 apparent temperature for a surface of this material with luminance in [0, 1]."""
        darkness = 1.0 - luminance
        detail = (luminance - luminance.mean()) / (luminance.std() + 0.05)
        surface_k = (
            weather.ambient_k
            + self.offset_k
            + 15.0 * weather.solar_load * self.absorptivity * darkness
            + self.detail_k * detail
        )
        return (self.emissivity * surface_k + (1.0 - self.emissivity) * weather.sky_k).astype(np.float32)


def sample_material(rng: np.random.Generator) -> Material:
    emissivity = rng.uniform(0.3, 0.75) if rng.random() < 0.1 else rng.uniform(0.88, 0.98)
    return Material(
        offset_k=float(rng.normal(0.0, 2.5)),
        absorptivity=float(rng.uniform(0.2, 1.0)),
        detail_k=float(rng.normal(0.0, 1.2)),
        emissivity=float(emissivity),
    )

"""The simulated thermal camera's real-LWIR behaviours: halos, histogram equalisation, gain control that hunts."""

from __future__ import annotations

import dataclasses

import numpy as np

from tpmri_core.data.synth.thermal_camera import ThermalCamera, sample_thermal_camera

SENSOR_WH = (160, 120)


def _camera(**changes: object) -> ThermalCamera:
    camera = sample_thermal_camera(np.random.default_rng(0), (320, 240), (2.0, 2.0), (0.0, 0.0), (0.5, 0.5), 0.0, 0.0)
    plain = dataclasses.replace(
        camera,
        fixed_pattern_k=np.zeros((SENSOR_WH[1], SENSOR_WH[0]), np.float32),
        detail_gain=0.0,
        agc_percentiles=(0.0, 100.0),
        agc_min_span_k=1.0,
        agc_rate=1.0,
        agc_overshoot=0.0,
        equalization=0.0,
        halo_strength=0.0,
        black_hot=False,
        lag_frames=0.0,
        parallax_xy=(0.0, 0.0),
    )
    return dataclasses.replace(plain, **changes)


def _scene(hot_k: float = 20.0) -> np.ndarray:
    scene = np.full((SENSOR_WH[1], SENSOR_WH[0]), 290.0, np.float32)
    scene[55:65, 75:85] += hot_k
    return scene


def test_halo_spreads_a_hot_object_into_its_surroundings() -> None:
    rng = np.random.default_rng(0)
    sharp = _camera().capture(_scene(), None, rng)[1].astype(float)
    glowing = _camera(halo_strength=0.3, halo_sigma=6.0).capture(_scene(), None, rng)[1].astype(float)
    ring = (slice(100, 104), slice(140, 180))  # frame pixels a few sensor pixels beside the hot square
    assert glowing[ring].mean() - sharp[ring].mean() > 50, "centi-kelvin of glow beside the object"
    assert glowing[120, 160] < sharp[120, 160], "and the object itself gives some of its heat away"


def test_equalization_spreads_the_grey_levels_of_a_skewed_scene() -> None:
    scene = _scene(hot_k=40.0)
    scene += np.linspace(0.0, 2.0, SENSOR_WH[0], dtype=np.float32)[None, :]  # a gentle background gradient
    rng = np.random.default_rng(0)
    linear = _camera().capture(scene, None, rng)[0]
    equalized = _camera(equalization=1.0, equalization_plateau=8.0).capture(scene, None, rng)[0]
    assert np.ptp(equalized[:, :100]) > 3 * np.ptp(linear[:, :100]), "the background gets most grey levels"
    assert equalized[120, 160] >= 250, "the hot object stays the brightest"


def test_gain_control_overshoots_and_hunts_when_a_hot_object_enters() -> None:
    cold, hot = _scene(hot_k=0.5), _scene(hot_k=30.0)

    def highs(camera: ThermalCamera) -> list[float]:
        rng = np.random.default_rng(0)
        state = camera.capture(cold, None, rng)[2]
        values = []
        for _ in range(12):
            state = camera.capture(hot, state, rng)[2]
            values.append(state.range_k[1])
        return values

    settled = 290.0 + 30.0
    smooth = highs(_camera(agc_rate=0.3, agc_overshoot=0.0))
    hunting = highs(_camera(agc_rate=0.3, agc_overshoot=0.6))
    assert max(smooth) <= settled + 1e-3, "without momentum it creeps up"
    assert abs(smooth[-1] - settled) < 1.0, "and settles"
    assert max(hunting) > settled + 2.0, "with momentum it overshoots"
    steps = np.diff(hunting)
    assert (steps < 0).any() and (steps > 0).any(), "and comes back: it hunts"

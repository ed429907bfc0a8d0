"""The generator's widened world (issue 20): large targets, lamps, night, companions, thermal polarity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tpmri_core.data.synth import SynthConfig, generate_sequence
from tpmri_core.data.synth.backgrounds import build_background
from tpmri_core.data.synth.canvas import TEMPERATURE_DIVISOR
from tpmri_core.data.synth.config import LARGE_TARGET_FRACTION
from tpmri_core.data.synth.designs import sample_target_design
from tpmri_core.data.synth.motion import sample_target_path
from tpmri_core.data.synth.sprites import render_sprite
from tpmri_core.data.synth.weather import Weather, sample_weather


def _first_sizes(large_probability: float, count: int, aspect_wh: float = 2.0) -> np.ndarray:
    rng = np.random.default_rng(7)
    sizes = [
        sample_target_path(
            rng, 2, (480, 360), (15.0, 240.0), 6.0, aspect_wh, 0.3, 1.0, np.ones(2), large_probability=large_probability
        ).size[0]
        for _ in range(count)
    ]
    return np.array(sizes)


def test_large_targets_occur_with_the_configured_frequency() -> None:
    count = 600
    threshold = LARGE_TARGET_FRACTION * 240.0
    always = _first_sizes(1.0, count)
    assert always.min() >= threshold * 0.99 and always.max() <= 240.0
    never = (_first_sizes(0.0, count) >= threshold).mean()
    quarter = (_first_sizes(0.25, count) >= threshold).mean()
    expected = 0.25 + 0.75 * never  # large draws plus the log-uniform draws that happen to be large
    assert abs(quarter - expected) < 4 * np.sqrt(expected * (1 - expected) / count)
    assert quarter > never + 0.1


def test_large_targets_fill_up_to_about_half_the_frame() -> None:
    config = SynthConfig(large_target_probability=1.0, companion_probability=0.0)
    for seed in range(4):
        x, y, w, h = next(iter(generate_sequence(seed, 1, config))).box_xywh_rgb
        assert max(w, h) >= 0.55 * 0.6 * 360 * 0.95, "a large target starts at 55 % of the largest size or more"
        assert w <= 0.6 * 480 + 2 and h <= 0.6 * 360 + 2


def test_black_hot_inverts_the_thermal_view_and_keeps_the_radiometry() -> None:
    white = list(generate_sequence(11, 3, SynthConfig(black_hot_probability=0.0)))
    black = list(generate_sequence(11, 3, SynthConfig(black_hot_probability=1.0)))
    for w, b in zip(white, black, strict=True):
        assert np.array_equal(w.tir_raw, b.tir_raw) and np.array_equal(w.rgb, b.rgb)
        assert np.abs(w.tir.astype(int) + b.tir.astype(int) - 255).max() <= 1
        hottest = w.tir_raw >= np.percentile(w.tir_raw, 99.5)
        assert w.tir[hottest].mean() > 128 > b.tir[hottest].mean()


def _night(ambient_c: float = 15.0) -> Weather:
    base = sample_weather(np.random.default_rng(0), (ambient_c, ambient_c), night_probability=1.0)
    return dataclasses.replace(base, night_light=0.15)


@pytest.mark.parametrize("night", [True, False])
def test_lamps_are_hot_compact_blobs_and_glow_at_night(night: bool) -> None:
    weather = _night() if night else sample_weather(np.random.default_rng(0), (15.0, 15.0), night_probability=0.0)
    background = build_background(np.random.default_rng(3), (722, 542), weather, lamp_count=(6, 6))
    assert len(background.lamps) >= 6
    kelvin = background.temperature_k
    for lamp in background.lamps:
        x, y = (int(v / TEMPERATURE_DIVISOR) for v in lamp.centre_xy)
        reach = int(4 * max(lamp.radius_px / TEMPERATURE_DIVISOR, 1.0)) + 3
        window = kelvin[max(0, y - reach) : y + reach + 1, max(0, x - reach) : x + reach + 1]
        peak = float(kelvin[y, x])
        assert peak - float(np.median(window)) > 0.3 * lamp.heat_k, "hotter than what is around it"
        half = window > (peak + np.median(window)) / 2
        assert half.sum() < 0.25 * window.size, "compact: the hot part is a small share of its surroundings"
        cx, cy = (int(v) for v in lamp.centre_xy)
        rgb_core = background.rgba[cy, cx, :3].astype(int)
        if night:
            assert rgb_core.max() >= 240, "a lit lamp saturates the visible camera"
    if night:
        rgb = background.rgba[:, :, :3].astype(float)
        assert np.median(rgb) < 60, "away from the lamps a night street is dark"


def test_vehicle_lights_stay_bright_while_the_body_goes_dark_at_night() -> None:
    weather = _night()
    lit = 0
    for seed in range(8):
        design = sample_target_design(np.random.default_rng(seed), "vehicle", weather)
        rgba = render_sprite(design, np.random.default_rng(seed)).poses[0].levels[0].rgba
        colour = rgba[:, :, :3] / np.maximum(rgba[:, :, 3:], 1e-3)
        brightness = colour.max(axis=2)[rgba[:, :, 3] > 0.9]
        assert np.median(brightness) < 0.8 * 255 * 0.5, "the body is lit by street lamps only"
        if design.emissive_parts:
            lit += 1
            assert np.percentile(brightness, 99.5) > 230, "head or tail lights shine"
    assert lit >= 5, "most vehicles drive with their lights on at night"


def test_night_sequences_are_dark_and_noisier() -> None:
    night = [next(iter(generate_sequence(seed, 1, SynthConfig(night_probability=1.0)))) for seed in range(4)]
    day = [next(iter(generate_sequence(seed, 1, SynthConfig(night_probability=0.0)))) for seed in range(4)]
    assert np.median([f.rgb.mean() for f in night]) < 0.5 * np.median([f.rgb.mean() for f in day])


def test_companions_appear_and_near_ones_are_distractors() -> None:
    alone = SynthConfig(scenario="clean", companion_probability=0.0)
    crowd = dataclasses.replace(alone, companion_probability=1.0)
    differs = 0
    for seed in range(3):
        frames_alone = list(generate_sequence(seed, 24, alone))
        frames_crowd = list(generate_sequence(seed, 24, crowd))
        for a, c in zip(frames_alone, frames_crowd, strict=True):
            assert not c.events, "in a forced clean scenario companions keep away from the target"
            assert a.box_xywh_rgb == c.box_xywh_rgb
        differs += any(not np.array_equal(a.rgb, c.rgb) for a, c in zip(frames_alone, frames_crowd, strict=True))
    assert differs >= 2, "companions are drawn"
    mixed = SynthConfig(event_probability=0.0, companion_probability=1.0)
    flagged = 0
    for seed in range(6):
        frames = list(generate_sequence(seed, 40, mixed))
        assert not frames[0].events
        flagged += sum("distractor" in f.events for f in frames)
    assert flagged > 0, "companions next to the target count as distractors"


def _found_shift(before: np.ndarray, after: np.ndarray, box_xywh: tuple[float, float, float, float]) -> np.ndarray:
    """Where the box's content of `before` is found in `after`, relative to where it was (template matching)."""
    import cv2

    x, y, w, h = (int(round(v)) for v in box_xywh)
    template = before[y : y + h, x : x + w].astype(np.float32)
    reach = 20
    x0, y0 = max(0, x - reach), max(0, y - reach)
    window = after[y0 : y + h + reach, x0 : x + w + reach].astype(np.float32)
    scores = cv2.matchTemplate(window, template, cv2.TM_SQDIFF)
    _, _, best, _ = cv2.minMaxLoc(scores)
    return np.array([best[0] + x0 - x, best[1] + y0 - y], float)


def test_parallax_moves_the_target_in_thermal_and_its_box_with_it() -> None:
    flat = SynthConfig(
        misregistration_px=0.0, misregistration_scale=0.0, band_lag_frames=0.0, parallax_px=0.0,
        companion_probability=0.0, camera_motion=0.0, scenario="clean",
    )
    for seed in range(3):
        plain = next(iter(generate_sequence(seed, 1, flat)))
        shifted = next(iter(generate_sequence(seed, 1, dataclasses.replace(flat, parallax_px=12.0))))
        moved = np.subtract(shifted.box_xywh_tir[:2], shifted.box_xywh_rgb[:2])
        assert shifted.box_xywh_rgb == plain.box_xywh_rgb and np.array_equal(shifted.rgb, plain.rgb)
        assert np.allclose(np.subtract(shifted.box_xywh_tir[2:], plain.box_xywh_tir[2:]), 0.0, atol=0.05)
        seen = _found_shift(plain.tir_raw, shifted.tir_raw, plain.box_xywh_tir)
        assert np.abs(seen - moved).max() <= 1.5, (seen, moved)  # the image content moved with the box


def test_band_lag_shifts_moving_targets_by_their_speed() -> None:
    lagged = SynthConfig(
        misregistration_px=0.0, misregistration_scale=0.0, band_lag_frames=2.0, parallax_px=0.0,
        companion_probability=0.0, camera_motion=0.0,
    )
    lags, fits = [], []

    def centre(box: tuple[float, float, float, float]) -> np.ndarray:
        return np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])

    def inside(box: tuple[float, float, float, float]) -> bool:
        return box[0] > 0.5 and box[1] > 0.5 and box[0] + box[2] < 479.5 and box[1] + box[3] < 359.5

    for seed in range(12):
        frames = list(generate_sequence(seed, 12, lagged))
        for previous, frame in zip(frames[:-1], frames[1:], strict=True):
            if not (inside(frame.box_xywh_rgb) and inside(previous.box_xywh_rgb) and inside(frame.box_xywh_tir)):
                continue
            velocity = centre(frame.box_xywh_rgb) - centre(previous.box_xywh_rgb)
            offset = centre(frame.box_xywh_tir) - centre(frame.box_xywh_rgb)
            speed = float(np.hypot(*velocity))
            if np.abs(offset).max() > 0.05 and speed > 1.0:
                # The thermal box is where the RGB box was a fraction (at most 2) of a frame earlier; the box
                # centre also moves a little with the gait and the size, which the lag does not delay.
                lag = -offset @ velocity / speed**2
                lags.append(lag)
                fits.append(np.hypot(*(offset + lag * velocity)) <= 0.1 + 0.2 * speed)
    checked = len(lags)
    assert 0.1 < np.median(lags) <= 2.0 and np.max(lags) < 2.5
    assert np.mean(fits) > 0.8, "the offset is along the motion"
    assert checked > 10, "half the sequences have a lag, and their targets move"


def test_vehicle_lights_throw_glare_beyond_the_car() -> None:
    from tpmri_core.data.synth.compose import Placement, add_glare, sprite_to_frame

    weather = _night()
    for seed in range(8):
        design = sample_target_design(np.random.default_rng(seed), "vehicle", weather)
        if not design.emissive_parts:
            continue
        sprite = render_sprite(design, np.random.default_rng(seed))
        assert len(sprite.lights) >= 1
        frame = np.full((360, 480, 3), 10, np.uint8)
        placement = Placement(centre_xy=(240.0, 180.0), size=150.0, facing_left=False)
        add_glare(frame, sprite, placement)
        x, y = (sprite_to_frame(sprite, placement) @ np.array([*sprite.lights[0, :2], 1.0])).astype(int)
        assert frame[y, x].max() > 60, "bright at the lamp"
        assert frame[:, :, :].max(axis=2).mean() < 30, "and only around it"
        return
    pytest.fail("no vehicle with its lights on in 8 draws")

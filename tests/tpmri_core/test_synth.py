"""The synthetic RGB-T generator: determinism, frame contract, and that every scripted event does what it says."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tpmri_core.data.synth import EVENT_NAMES, TARGET_KINDS, SynthConfig, SynthFrame, generate_sequence
from tpmri_core.data.synth.designs import resemble, sample_target_design
from tpmri_core.data.synth.photos import ALL_PHOTOS, load_photo
from tpmri_core.data.synth.sprites import Sprite, mean_temperature_k, render_sprite
from tpmri_core.data.synth.weather import sample_weather

NUM_FRAMES = 48


@functools.cache
def _frames(seed: int, scenario: str | None, num_frames: int = NUM_FRAMES) -> tuple[SynthFrame, ...]:
    return tuple(generate_sequence(seed, num_frames, SynthConfig(scenario=scenario)))


def _visibility(image: np.ndarray, box_xywh: tuple[float, float, float, float]) -> float:
    """How much the box's central half stands out from a ring around the box, in units of the ring's
    interquartile range (robust to textured backgrounds and to the scale of 8-bit or raw images).
    """
    x, y, w, h = box_xywh
    height, width = image.shape[:2]
    grey = image.astype(np.float64).mean(axis=2) if image.ndim == 3 else image.astype(np.float64)
    core = grey[int(y + h / 4) : int(np.ceil(y + 3 * h / 4)), int(x + w / 4) : int(np.ceil(x + 3 * w / 4))]
    outer = np.zeros((height, width), bool)
    outer[max(0, int(y - h / 2)) : int(y + 1.5 * h), max(0, int(x - w / 2)) : int(x + 1.5 * w)] = True
    outer[int(y) : int(np.ceil(y + h)), int(x) : int(np.ceil(x + w))] = False
    ring = grey[outer]
    q1, q3 = np.percentile(ring, [25, 75])
    return abs(float(np.median(core)) - float(np.median(ring))) / (q3 - q1 + 1e-3 * max(1.0, float(np.median(ring))))


def _box_mean(image: np.ndarray, box_xywh: tuple[float, float, float, float]) -> float:
    x, y, w, h = (int(round(v)) for v in box_xywh)
    return float(image[y : y + h, x : x + w].astype(np.float64).mean())


def test_bundled_photographs_load_without_network() -> None:
    for name in ALL_PHOTOS:
        image = load_photo(name)
        assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8 and min(image.shape[:2]) >= 100


def test_same_seed_gives_identical_frames_and_other_seeds_differ() -> None:
    first = list(generate_sequence(5, 12))
    again = list(generate_sequence(5, 12))
    other = list(generate_sequence(6, 12))
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(a.rgb, b.rgb) and np.array_equal(a.tir, b.tir) and np.array_equal(a.tir_raw, b.tir_raw)
        assert a.box_xywh_rgb == b.box_xywh_rgb and a.box_xywh_tir == b.box_xywh_tir and a.events == b.events
    assert not np.array_equal(first[0].rgb, other[0].rgb)
    assert first[0].box_xywh_rgb != other[0].box_xywh_rgb


def test_generation_is_lazy() -> None:
    frames = generate_sequence(3, 200_000)
    assert next(iter(frames)).index == 0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_frames_keep_the_contract(seed: int) -> None:
    config = SynthConfig()
    frames = _frames(seed, None)
    assert len(frames) == NUM_FRAMES and [f.index for f in frames] == list(range(NUM_FRAMES))
    assert not frames[0].events, "the first frame must be clean so a tracker can start on it"
    low, high = config.target_size_range_px
    for frame in frames:
        assert frame.rgb.shape == (config.height, config.width, 3) and frame.rgb.dtype == np.uint8
        assert frame.tir.shape == (config.height, config.width) and frame.tir.dtype == np.uint8
        assert frame.tir_raw.shape == frame.tir.shape and frame.tir_raw.dtype == np.uint16
        kelvin = frame.tir_raw / 100.0
        assert 200.0 < kelvin.min() and kelvin.max() < 450.0
        assert frame.events <= set(EVENT_NAMES)
        for x, y, w, h in (frame.box_xywh_rgb, frame.box_xywh_tir):
            assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= config.width and y + h <= config.height
        x, y, w, h = frame.box_xywh_rgb
        assert 0.5 * low <= max(w, h) <= 1.3 * high
        assert frame.tir.std() > 2, "thermal frames must not be flat"
        if not frame.events & {"darkness", "overexposure"}:
            assert frame.rgb.std() > 5, "visible frames in good light must not be flat"


def test_targets_move_and_stay_in_view() -> None:
    for seed in range(6):
        centres = np.array([[x + w / 2, y + h / 2] for x, y, w, h in (f.box_xywh_rgb for f in _frames(seed, "clean"))])
        steps = np.hypot(*np.diff(centres, axis=0).T)
        assert steps.max() < 40, "motion must be smooth"
        assert (
            0 < centres[:, 0].min()
            and centres[:, 0].max() < 480
            and 0 < centres[:, 1].min()
            and centres[:, 1].max() < 360
        )
    travelled = [
        np.hypot(*np.ptp(np.array([f.box_xywh_rgb[:2] for f in _frames(s, "clean")]), axis=0)) for s in range(6)
    ]
    assert max(travelled) > 20, "some targets must actually move"


def test_tir_box_is_the_rgb_box_moved_by_the_misregistration() -> None:
    aligned = SynthConfig(misregistration_px=0.0, misregistration_scale=0.0, band_lag_frames=0.0, parallax_px=0.0)
    for frame in generate_sequence(4, 5, aligned):
        assert np.allclose(frame.box_xywh_rgb, frame.box_xywh_tir, atol=0.02)
    shifts = []
    for seed in range(4):
        frames = _frames(seed, None)[:6]
        for previous, frame in zip(frames[:-1], frames[1:], strict=True):
            difference = np.subtract(frame.box_xywh_tir, frame.box_xywh_rgb)
            # misregistration + scale over the frame + parallax + the lag times this frame's motion
            motion = np.abs(np.subtract(frame.box_xywh_rgb[:2], previous.box_xywh_rgb[:2])).max()
            assert np.all(np.abs(difference[:2]) <= 5.0 + 0.03 * 300 + 3.0 + 0.6 * motion + 1)
            shifts.append(np.abs(difference[:2]).max())
    assert max(shifts) > 0.5, "the default config must misregister RGB and TIR a little"


def test_config_rejects_unknown_scenario_and_bad_ranges() -> None:
    with pytest.raises(ValueError, match="scenario"):
        SynthConfig(scenario="rain")
    with pytest.raises(ValueError, match="target_size_px"):
        SynthConfig(target_size_px=(50.0, 10.0))
    with pytest.raises(ValueError, match="num_frames"):
        generate_sequence(0, -1)


def _event_frames(scenario: str, seeds: range) -> list[tuple[SynthFrame, SynthFrame]]:
    """(event frame, same frame of the seed's clean twin) over a few seeds."""
    pairs = []
    for seed in seeds:
        frames = _frames(seed, scenario)
        twin = _frames(seed, "clean")
        flagged = [f for f in frames if scenario in f.events]
        assert flagged, f"seed {seed}: forcing {scenario} must produce it"
        assert all(f.events <= {scenario} for f in frames), "a forced scenario brings no other event"
        pairs += [(f, twin[f.index]) for f in flagged]
    return pairs


SEEDS = range(3)


def test_darkness_hides_the_target_in_rgb_and_leaves_tir_alone() -> None:
    pairs = _event_frames("darkness", SEEDS)
    for frame, clean in pairs:
        assert np.array_equal(frame.tir, clean.tir) and np.array_equal(frame.tir_raw, clean.tir_raw)
        assert frame.box_xywh_rgb == clean.box_xywh_rgb
    dark = np.median([_box_mean(f.rgb, f.box_xywh_rgb) for f, _ in pairs])
    lit = np.median([_box_mean(c.rgb, c.box_xywh_rgb) for _, c in pairs])
    assert dark < 0.35 * lit and dark < 40


def test_overexposure_washes_out_rgb_and_leaves_tir_alone() -> None:
    pairs = _event_frames("overexposure", SEEDS)
    for frame, clean in pairs:
        assert np.array_equal(frame.tir, clean.tir)
    bright = np.median([_box_mean(f.rgb, f.box_xywh_rgb) for f, _ in pairs])
    normal = np.median([_box_mean(c.rgb, c.box_xywh_rgb) for _, c in pairs])
    saturated = np.median([(f.rgb >= 250).mean() for f, _ in pairs])
    assert bright > normal + 40 and saturated > 0.2
    washed = np.median([np.std(f.rgb) for f, _ in pairs])
    assert washed < 0.7 * np.median([np.std(c.rgb) for _, c in pairs]), "contrast collapses, it does not grow"


def test_crossover_hides_the_target_in_tir_and_leaves_rgb_alone() -> None:
    seeds = range(6)
    pairs = _event_frames("crossover", seeds)
    for frame, clean in pairs:
        assert np.array_equal(frame.rgb, clean.rgb)
    for attribute in ("tir", "tir_raw"):
        ratios, crossed = [], []
        for seed in seeds:
            seed_pairs = [(f, c) for f, c in pairs if f is _frames(seed, "crossover")[f.index]]
            event = np.median([_visibility(getattr(f, attribute), f.box_xywh_tir) for f, _ in seed_pairs])
            normal = np.median([_visibility(getattr(c, attribute), c.box_xywh_tir) for _, c in seed_pairs])
            ratios.append(event / normal)
            crossed.append(event)
        assert np.median(ratios) < 0.35 and np.median(crossed) < 0.5, attribute


def test_occlusion_covers_the_target_in_both_modalities() -> None:
    for frame, clean in _event_frames("occlusion", SEEDS):
        # Both twins get the same noise, so any change is the occluder; at night it is a dim one.
        changed_rgb = np.abs(frame.rgb.astype(int) - clean.rgb.astype(int)).max(axis=2) > 4
        changed_tir = frame.tir_raw.astype(int) != clean.tir_raw.astype(int)
        x, y, w, h = (int(round(v)) for v in frame.box_xywh_rgb)
        assert changed_rgb[y : y + h, x : x + w].mean() > 0.2
        assert changed_tir[y : y + h, x : x + w].mean() > 0.2
        assert frame.box_xywh_rgb == clean.box_xywh_rgb, "the box is the whole target, occluded or not"


def _near_fraction(changed: np.ndarray, box_xywh: tuple[float, float, float, float]) -> float:
    """Share of the changed pixels outside the box that lie within 2.5 box sizes of its centre."""
    x, y, w, h = box_xywh
    changed = changed.copy()
    changed[int(y) : int(np.ceil(y + h)), int(x) : int(np.ceil(x + w))] = False
    ys, xs = np.nonzero(changed)
    if len(xs) == 0:
        return 0.0
    return float((np.hypot(xs - (x + w / 2), ys - (y + h / 2)) < 2.5 * max(w, h)).mean())


def test_distractor_appears_near_the_target_in_both_modalities() -> None:
    pairs = _event_frames("distractor", SEEDS)
    near_rgb = [
        _near_fraction(np.abs(f.rgb.astype(int) - c.rgb.astype(int)).max(axis=2) > 20, f.box_xywh_rgb) for f, c in pairs
    ]
    near_tir = [
        _near_fraction(np.abs(f.tir_raw.astype(int) - c.tir_raw.astype(int)) > 100, f.box_xywh_tir) for f, c in pairs
    ]
    assert np.median(near_rgb) > 0.8 and np.median(near_tir) > 0.8


def test_look_alike_has_similar_colours_and_heat() -> None:
    weather = sample_weather(np.random.default_rng(0), (10.0, 20.0))
    for seed, kind in enumerate(TARGET_KINDS):
        rng = np.random.default_rng(seed)
        design = sample_target_design(rng, kind, weather)
        original, twin = render_sprite(design, rng), render_sprite(resemble(design, rng), rng)
        assert abs(mean_temperature_k(original) - mean_temperature_k(twin)) < 2.5

        def mean_colour(sprite: Sprite) -> np.ndarray:
            rgba = sprite.poses[0].levels[0].rgba
            return rgba[:, :, :3].sum(axis=(0, 1)) / rgba[:, :, 3].sum()

        assert np.abs(mean_colour(original) - mean_colour(twin)).max() < 30


def test_random_mix_uses_every_event_type() -> None:
    seen: set[str] = set()
    for seed in range(10, 22):
        for frame in _frames(seed, None):
            seen |= frame.events
    assert seen == set(EVENT_NAMES)

"""The template refiner pins the centre to the target's own pixels, and leaves it alone when they no longer match."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.template_refiner import TemplateRefinement, TemplateRefiner

TARGET_WH = (40, 60)


def _texture(seed: int, size_wh: tuple[int, int]) -> np.ndarray:
    """A smooth random pattern (blurred noise), so that matches have a single clear peak."""
    noise = np.random.default_rng(seed).uniform(0, 255, size=(size_wh[1], size_wh[0])).astype(np.float32)
    return cv2.GaussianBlur(noise, (0, 0), 2.0)


def _ramp(size_wh: tuple[int, int]) -> np.ndarray:
    """A target with no detail: brightness rising left to right looks the same at any size."""
    return np.tile(np.linspace(40.0, 220.0, size_wh[0], dtype=np.float32), (size_wh[1], 1))


def _frame(
    center_xy: tuple[float, float],
    rgb_visible: bool = True,
    tir_visible: bool = True,
    size_factor: float = 1.0,
    target: np.ndarray | None = None,
) -> RGBTFrame:
    """A 320 x 240 frame with the same target (default: textured) at `center_xy` (sub-pixel, by a warp),
    drawn `size_factor` times its first size."""
    background = _texture(99, (320, 240)) * 0.3 + 90
    target = _texture(7, TARGET_WH) if target is None else target
    x0, y0 = center_xy[0] - size_factor * TARGET_WH[0] / 2, center_xy[1] - size_factor * TARGET_WH[1] / 2
    warp = np.array([[size_factor, 0.0, x0], [0.0, size_factor, y0]])
    canvas = cv2.warpAffine(target, warp, (320, 240), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(np.ones_like(target), warp, (320, 240), flags=cv2.INTER_LINEAR)
    gray = mask * canvas + (1 - mask) * background
    rgb_gray = gray if rgb_visible else np.full_like(gray, 3.0)
    tir_gray = 255 - gray if tir_visible else np.full_like(gray, 128.0)
    rgb = np.repeat(np.clip(rgb_gray, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    return RGBTFrame(rgb=rgb, tir=np.clip(tir_gray, 0, 255).astype(np.uint8))


def _box(center_xy: tuple[float, float]) -> np.ndarray:
    return np.array([center_xy[0] - TARGET_WH[0] / 2, center_xy[1] - TARGET_WH[1] / 2, *TARGET_WH], dtype=np.float64)


@pytest.fixture()
def refiner() -> TemplateRefiner:
    refiner = TemplateRefiner(TemplateRefinement())
    refiner.reset(_frame((100.0, 120.0)), _box((100.0, 120.0)))
    return refiner


@pytest.mark.parametrize("true_center", [(160.0, 110.0), (163.4, 107.7)])
def test_a_centre_off_by_a_fifth_of_the_box_moves_onto_the_target(refiner: TemplateRefiner, true_center: tuple[float, float]) -> None:
    guess = np.array(true_center) + [0.2 * TARGET_WH[0], -0.15 * TARGET_WH[1]]
    refined = refiner.refine(_frame(true_center), guess, np.array(TARGET_WH, dtype=float))
    assert refined.accepted and refined.correlation > 0.75
    # The match runs at 32 px for a 60 px side: within half a template pixel of the truth.
    np.testing.assert_allclose(refined.center_xy, true_center, atol=0.6)


def test_the_band_that_still_shows_the_target_is_used(refiner: TemplateRefiner) -> None:
    true_center = (150.0, 130.0)
    guess = np.array(true_center) + [6.0, 5.0]
    refined = refiner.refine(_frame(true_center, rgb_visible=False), guess, np.array(TARGET_WH, dtype=float))
    assert refined.accepted and refined.band == "tir"
    np.testing.assert_allclose(refined.center_xy, true_center, atol=0.6)


def test_a_target_that_no_longer_matches_leaves_the_centre_where_it_was(refiner: TemplateRefiner) -> None:
    guess = np.array([150.0, 130.0])
    # Neither band shows the target (RGB dark, thermal flat): the background alone must not pull the centre.
    refined = refiner.refine(_frame((150.0, 130.0), rgb_visible=False, tir_visible=False), guess, np.array(TARGET_WH, dtype=float))
    assert not refined.accepted
    np.testing.assert_array_equal(refined.center_xy, guess)


def test_a_match_beyond_the_radius_is_not_reached(refiner: TemplateRefiner) -> None:
    true_center = np.array([150.0, 130.0])
    guess = true_center + [0.8 * TARGET_WH[0], 0.0]
    refined = refiner.refine(_frame(tuple(true_center)), guess, np.array(TARGET_WH, dtype=float))
    assert abs(refined.center_xy[0] - guess[0]) <= 0.3 * TARGET_WH[0] + 1e-6


def test_before_reset_nothing_is_refined() -> None:
    refined = TemplateRefiner(TemplateRefinement()).refine(_frame((100.0, 120.0)), np.array([90.0, 110.0]), np.array([40.0, 60.0]))
    assert not refined.accepted
    np.testing.assert_array_equal(refined.center_xy, [90.0, 110.0])


def test_without_a_scale_step_no_size_is_measured() -> None:
    refiner = TemplateRefiner(TemplateRefinement(scale_step=None))
    refiner.reset(_frame((100.0, 120.0)), _box((100.0, 120.0)))
    refined = refiner.refine(_frame((150.0, 130.0)), np.array([150.0, 130.0]), np.array(TARGET_WH, dtype=float))
    assert refined.accepted and refined.scale is None


@pytest.mark.parametrize("size_factor", [0.93, 1.0, 1.06])
def test_the_scale_search_measures_how_much_the_target_grew(size_factor: float) -> None:
    refiner = TemplateRefiner(TemplateRefinement(scale_step=1.1))
    refiner.reset(_frame((100.0, 120.0)), _box((100.0, 120.0)))
    true_center = (160.0, 125.0)
    refined = refiner.refine(_frame(true_center, size_factor=size_factor), np.array([163.0, 121.0]), np.array(TARGET_WH, dtype=float))
    assert refined.accepted and refined.scale is not None
    # One measurement moves the size the right way, by at most one step (three samples of a peaked correlation).
    if size_factor == 1.0:
        assert refined.scale == pytest.approx(1.0, abs=0.015)
    else:
        assert (refined.scale - 1.0) * (size_factor - 1.0) > 0 and 1 / 1.1 - 1e-9 <= refined.scale <= 1.1 + 1e-9
    np.testing.assert_allclose(refined.center_xy, true_center, atol=1.0)
    # ...so a tracker that applies each frame's measurement converges on the target's size.
    size = np.array(TARGET_WH, dtype=float)
    for _ in range(6):
        refined = refiner.refine(_frame(true_center, size_factor=size_factor), refined.center_xy, size)
        size = size * (refined.scale or 1.0)
    np.testing.assert_allclose(size, np.array(TARGET_WH) * size_factor, rtol=0.035)


def test_a_target_that_looks_the_same_at_every_size_gets_no_scale() -> None:
    # The ramp matches itself at 1/1.1, 1 and 1.1 of its size almost equally: its size cannot be told from it.
    refiner = TemplateRefiner(TemplateRefinement(scale_step=1.1))
    refiner.reset(_frame((100.0, 120.0), target=_ramp(TARGET_WH)), _box((100.0, 120.0)))
    refined = refiner.refine(_frame((150.0, 130.0), target=_ramp(TARGET_WH)), np.array([150.0, 130.0]), np.array(TARGET_WH, dtype=float))
    assert refined.accepted and refined.scale is None


@pytest.mark.parametrize(
    "arguments",
    [
        {"radius": 0.0},
        {"radius": float("nan")},
        {"min_correlation": 1.5},
        {"template_side_px": 4},
        {"scale_step": 1.0},
        {"scale_step": 2.0},
        {"min_scale_contrast": -0.1},
    ],
)
def test_settings_out_of_range_are_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TemplateRefinement(**arguments)

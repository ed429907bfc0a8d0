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


def _frame(center_xy: tuple[float, float], rgb_visible: bool = True, tir_visible: bool = True) -> RGBTFrame:
    """A 320 x 240 frame with the same textured target at `center_xy` (sub-pixel, by a shifted warp)."""
    background = _texture(99, (320, 240)) * 0.3 + 90
    target = _texture(7, TARGET_WH)
    canvas = np.zeros((240, 320), np.float32)
    mask = np.zeros((240, 320), np.float32)
    x0, y0 = center_xy[0] - TARGET_WH[0] / 2, center_xy[1] - TARGET_WH[1] / 2
    shift = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0]])
    canvas = cv2.warpAffine(target, shift, (320, 240), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(np.ones_like(target), shift, (320, 240), flags=cv2.INTER_LINEAR)
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


@pytest.mark.parametrize(
    "arguments", [{"radius": 0.0}, {"radius": float("nan")}, {"min_correlation": 1.5}, {"template_side_px": 4}]
)
def test_settings_out_of_range_are_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TemplateRefinement(**arguments)

"""The per-frame limits on the box's size, alone and inside the Tracker."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.box_update import DEFAULT_BOX_RULES, NO_LIMITS, BoxUpdateRules, update_box
from tpmri_core.tracking.tracker import Tracker

PREVIOUS = np.array([100.0, 100.0, 40.0, 20.0])


def _center(box: np.ndarray) -> np.ndarray:
    return box[:2] + box[2:] / 2


def test_no_limits_takes_the_proposal() -> None:
    proposal = np.array([10.0, 12.0, 5.0, 9.0])
    assert np.array_equal(update_box(PREVIOUS, proposal, 0.9, NO_LIMITS), proposal)


def test_scale_step_caps_shrinking_and_growing_and_keeps_the_proposed_centre() -> None:
    rules = BoxUpdateRules(max_scale_step=1.1)
    halved = np.array([130.0, 105.0, 20.0, 10.0])
    kept = update_box(PREVIOUS, halved, 0.9, rules)
    assert math.sqrt(kept[2] * kept[3]) == pytest.approx(math.sqrt(800) / 1.1)
    assert kept[2] / kept[3] == pytest.approx(2.0)
    assert np.allclose(_center(kept), _center(halved))
    doubled = np.array([80.0, 90.0, 80.0, 40.0])
    grown = update_box(PREVIOUS, doubled, 0.9, rules)
    assert math.sqrt(grown[2] * grown[3]) == pytest.approx(math.sqrt(800) * 1.1)
    small_change = np.array([100.0, 100.0, 42.0, 21.0])
    assert np.allclose(update_box(PREVIOUS, small_change, 0.9, rules), small_change)


def test_a_proposal_without_area_shrinks_by_the_allowed_step_only() -> None:
    rules = BoxUpdateRules(max_scale_step=1.05, max_aspect_step=1.05)
    kept = update_box(PREVIOUS, np.array([110.0, 105.0, 0.0, 0.0]), 0.9, rules)
    assert np.all(np.isfinite(kept)) and math.sqrt(kept[2] * kept[3]) == pytest.approx(math.sqrt(800) / 1.05)
    smoothed = update_box(PREVIOUS, np.array([110.0, 105.0, 0.0, 0.0]), 0.9, DEFAULT_BOX_RULES)  # 2 %, half taken
    assert math.sqrt(smoothed[2] * smoothed[3]) == pytest.approx(math.sqrt(800) / 1.02**0.5)


def test_aspect_step_caps_the_change_of_shape_only() -> None:
    rules = BoxUpdateRules(max_aspect_step=1.2)
    tall = np.array([110.0, 90.0, 20.0, 40.0])  # same area, aspect 0.5 instead of 2
    kept = update_box(PREVIOUS, tall, 0.9, rules)
    assert kept[2] / kept[3] == pytest.approx(2.0 / 1.2)
    assert kept[2] * kept[3] == pytest.approx(800.0)


def test_low_score_holds_the_size_but_moves_the_centre() -> None:
    rules = BoxUpdateRules(hold_size_below_score=0.3)
    proposal = np.array([150.0, 120.0, 10.0, 10.0])
    held = update_box(PREVIOUS, proposal, 0.2, rules)
    assert np.allclose(held[2:], PREVIOUS[2:])
    assert np.allclose(_center(held), _center(proposal))
    assert np.allclose(update_box(PREVIOUS, proposal, 0.5, rules), proposal)


def test_size_rate_takes_part_of_the_change_symmetrically() -> None:
    rules = BoxUpdateRules(size_rate=0.5)
    quartered = update_box(PREVIOUS, np.array([100.0, 100.0, 10.0, 5.0]), 0.9, rules)
    quadrupled = update_box(PREVIOUS, np.array([100.0, 100.0, 160.0, 80.0]), 0.9, rules)
    assert quartered[2] == pytest.approx(20.0) and quadrupled[2] == pytest.approx(80.0)


@pytest.mark.parametrize(
    "arguments",
    [{"max_scale_step": 0.9}, {"max_aspect_step": math.inf}, {"hold_size_below_score": 1.5}, {"size_rate": 0.0}],
)
def test_rules_refuse_values_that_mean_nothing(arguments: dict) -> None:
    with pytest.raises(ValueError):
        BoxUpdateRules(**arguments)


def _frame(seed: int) -> RGBTFrame:
    rng = np.random.default_rng(seed)
    return RGBTFrame(rgb=rng.integers(0, 255, (120, 160, 3), dtype=np.uint8), tir=rng.integers(0, 255, (120, 160), dtype=np.uint8))


def test_tracker_applies_the_rules_to_every_step(make_tiny_model) -> None:
    model = make_tiny_model()
    free = Tracker(model, device="cpu", box_rules=NO_LIMITS)
    assert Tracker(model, device="cpu").box_rules == DEFAULT_BOX_RULES
    limited = Tracker(model, device="cpu", box_rules=BoxUpdateRules(max_scale_step=1.02, max_aspect_step=1.02))
    start = (60.0, 40.0, 30.0, 30.0)
    for tracker in (free, limited):
        tracker.initialize(_frame(0), start)
    free_sizes, limited_sizes = [], []
    for index in range(1, 6):
        free_sizes.append(math.sqrt(np.prod(free.track(_frame(index)).box_xywh[2:])))
        limited_sizes.append(math.sqrt(np.prod(limited.track(_frame(index)).box_xywh[2:])))
    # An untrained model proposes sizes far from the start; the limited tracker moves 2 % a frame at most.
    assert max(abs(math.log(s / 30.0)) for s in free_sizes) > 0.2
    for step, size in enumerate(limited_sizes, start=1):
        assert abs(math.log(size / 30.0)) <= step * math.log(1.02) + 1e-6


def test_tracker_window_strength_and_search_factor_are_checked(make_tiny_model) -> None:
    model = make_tiny_model()
    with pytest.raises(ValueError, match="window_strength"):
        Tracker(model, device="cpu", window_strength=1.5)
    with pytest.raises(ValueError, match="search_factor"):
        Tracker(model, device="cpu", search_factor=0.5)
    flat = Tracker(model, device="cpu", window_strength=0.0)
    assert flat.window is not None and bool((flat.window == 1.0).all())

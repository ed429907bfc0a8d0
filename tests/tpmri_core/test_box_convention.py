"""The first-frame box convention: what it learns from the network's proposals and how it maps later ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tpmri_core.tracking.box_convention import CALIBRATION_VIEWS, IDENTITY_CONVENTION, BoxCalibration, BoxConvention

GIVEN = np.array([100.0, 50.0, 60.0, 30.0])  # centre (130, 65)


def _proposal(center_xy, size_wh) -> np.ndarray:
    return np.array([center_xy[0] - size_wh[0] / 2, center_xy[1] - size_wh[1] / 2, size_wh[0], size_wh[1]])


def test_a_consistent_network_box_gives_the_given_box_back() -> None:
    # The network draws 48 x 30 (the given box holds background left and right) 6 px to the right of centre.
    proposals = [_proposal((136.0, 65.0), (48.0, 30.0))] * 5
    convention = BoxCalibration().learn(GIVEN, proposals)
    assert convention.width_ratio == pytest.approx(60 / 48) and convention.height_ratio == pytest.approx(1.0)
    assert convention.offset_x == pytest.approx(-6 / math.sqrt(48 * 30)) and convention.offset_y == pytest.approx(0.0)
    np.testing.assert_allclose(convention.apply(proposals[0]), _proposal((130.0, 65.0), (60.0, 30.0)))
    # Twice the size later: the offset grows with the target.
    later = convention.apply(_proposal((200.0, 100.0), (96.0, 60.0)))
    np.testing.assert_allclose(later, _proposal((200.0 - 12.0, 100.0), (120.0, 60.0)))


def test_the_median_ignores_one_wild_view() -> None:
    good = _proposal((130.0, 65.0), (50.0, 30.0))
    wild = _proposal((20.0, 10.0), (5.0, 90.0))
    convention = BoxCalibration().learn(GIVEN, [good, good, wild])
    assert convention.width_ratio == pytest.approx(60 / 50)
    assert convention.offset_x == pytest.approx(0.0) and convention.offset_y == pytest.approx(0.0)


def test_large_relations_are_clipped_and_small_ones_fall_in_the_dead_zone() -> None:
    far = [_proposal((130.0 + 40.0, 65.0), (20.0, 10.0))]  # 3x smaller, offset far beyond max_offset
    convention = BoxCalibration(max_ratio=1.5, max_offset=0.3).learn(GIVEN, far)
    assert convention.width_ratio == pytest.approx(1.5) and convention.height_ratio == pytest.approx(1.5)
    assert convention.offset_x == pytest.approx(-0.3) and convention.offset_y == pytest.approx(0.0)
    near = [_proposal((130.5, 65.0), (59.0, 30.0))]
    assert BoxCalibration(dead_zone=0.05).learn(GIVEN, near) == IDENTITY_CONVENTION
    kept = BoxCalibration(dead_zone=0.05).learn(GIVEN, [_proposal((130.0, 65.0), (48.0, 30.0))])
    assert kept.width_ratio == pytest.approx(math.exp(math.log(60 / 48) - 0.05))


def test_proposals_without_area_or_finite_numbers_are_left_out() -> None:
    bad = [np.array([np.nan, 0.0, 10.0, 10.0]), np.array([10.0, 10.0, 0.0, 5.0])]
    assert BoxCalibration().learn(GIVEN, bad) == IDENTITY_CONVENTION
    assert BoxCalibration().learn(GIVEN, [*bad, _proposal((130.0, 65.0), (30.0, 30.0))]).width_ratio == pytest.approx(1.5)


def test_view_boxes_move_and_scale_the_given_box() -> None:
    boxes = BoxCalibration(views=((0.0, 0.0, 1.0), (0.5, -0.5, 2.0))).view_boxes(GIVEN)
    np.testing.assert_allclose(boxes[0], GIVEN)
    side = math.sqrt(60 * 30)
    np.testing.assert_allclose(boxes[1], [130 + side / 2 - 60, 65 - side / 2 - 30, 120, 60])
    assert len(BoxCalibration().view_boxes(GIVEN)) == len(CALIBRATION_VIEWS)


@pytest.mark.parametrize(
    "arguments",
    [dict(views=()), dict(views=((0.0, 0.0, 0.0),)), dict(max_ratio=0.9), dict(max_offset=-0.1), dict(dead_zone=math.nan)],
)
def test_bad_settings_are_value_errors(arguments) -> None:
    with pytest.raises(ValueError):
        BoxCalibration(**arguments)


def test_the_identity_changes_nothing() -> None:
    np.testing.assert_allclose(BoxConvention().apply(np.array([5.0, 6.0, 7.0, 8.0])), [5.0, 6.0, 7.0, 8.0])

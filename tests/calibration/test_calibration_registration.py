"""Registration: warping thermal onto the RGB grid, boxes both ways, identity and stretch without calibration."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tpmri_calibration.calibration_file import Calibration, now_iso
from tpmri_calibration.registration import Registration, scale_matrix

MATRIX = np.array([[1.9, 0.05, 30.0], [-0.04, 1.95, 12.0], [8e-5, -5e-5, 1.0]])


def test_identity_returns_the_thermal_image_untouched() -> None:
    tir = np.arange(12, dtype=np.uint8).reshape(3, 4)
    registration = Registration.identity((4, 3))
    assert registration.is_identity
    assert registration.warp_tir(tir) is tir
    assert registration.box_xywh_rgb_to_tir((1, 1, 2, 1)) == pytest.approx((1, 1, 2, 1))


def test_stretch_without_calibration_matches_resize() -> None:
    tir = np.random.default_rng(0).integers(0, 255, (64, 80), dtype=np.uint8)
    registration = Registration.stretch((80, 64), (160, 128))
    warped = registration.warp_tir(tir)
    assert warped.shape == (128, 160)
    resized = cv2.resize(tir, (160, 128), interpolation=cv2.INTER_LINEAR)
    assert np.abs(warped[2:-2, 2:-2].astype(int) - resized[2:-2, 2:-2]).max() <= 1
    assert registration.box_xywh_tir_to_rgb((0, 0, 80, 64)) == pytest.approx((0, 0, 160, 128))


def test_warp_puts_a_thermal_spot_where_the_matrix_says() -> None:
    tir = np.zeros((256, 320), np.uint8)
    tir[100:111, 150:161] = 255  # a hot square centred on (155, 105)
    registration = Registration(MATRIX, (320, 256), (640, 480))
    warped = registration.warp_tir(tir)
    ys, xs = np.nonzero(warped > 127)
    expected = registration.points_tir_to_rgb([[155.0, 105.0]])[0]
    assert abs(xs.mean() - expected[0]) < 1.0 and abs(ys.mean() - expected[1]) < 1.0


def test_boxes_map_both_ways_and_back() -> None:
    registration = Registration(MATRIX, (320, 256), (640, 480))
    box_tir = (100.0, 80.0, 40.0, 60.0)
    box_rgb = registration.box_xywh_tir_to_rgb(box_tir)
    assert box_rgb[2] == pytest.approx(40 * 1.9, rel=0.1) and box_rgb[3] == pytest.approx(60 * 1.95, rel=0.1)
    points = registration.points_rgb_to_tir(registration.points_tir_to_rgb([[10.0, 20.0], [300.0, 200.0]]))
    np.testing.assert_allclose(points, [[10.0, 20.0], [300.0, 200.0]], atol=1e-9)
    back = registration.box_xywh_rgb_to_tir(box_rgb)
    # Enclosing boxes of a slightly rotated box grow a little each way, never shrink.
    assert back[0] <= box_tir[0] + 1e-9 and back[2] >= box_tir[2] - 1e-9
    assert back == pytest.approx(box_tir, abs=5.0)
    # Without rotation the round trip is exact.
    axis_aligned = Registration(np.array([[2.0, 0, 7.0], [0, 1.5, -3.0], [0, 0, 1]]), (320, 256), (640, 480))
    assert axis_aligned.box_xywh_rgb_to_tir(axis_aligned.box_xywh_tir_to_rgb(box_tir)) == pytest.approx(box_tir)
    assert axis_aligned.box_xywh_tir_to_rgb(box_tir) == pytest.approx((206.5, 116.75, 80.0, 90.0))


def test_calibration_is_rescaled_for_other_camera_resolutions() -> None:
    calibration = Calibration(MATRIX, (640, 480), (320, 256), 0.2, "points", 10, now_iso())
    full = Registration.from_calibration(calibration)
    half = Registration.from_calibration(calibration, tir_size_wh=(160, 128), rgb_size_wh=(320, 240))
    point_tir_full = np.array([[200.0, 100.0]])
    # The same physical point at half resolution in both cameras.
    point_tir_half = (point_tir_full + 0.5) / 2 - 0.5
    expected_rgb_half = (full.points_tir_to_rgb(point_tir_full) + 0.5) / 2 - 0.5
    np.testing.assert_allclose(half.points_tir_to_rgb(point_tir_half), expected_rgb_half, atol=1e-9)


def test_changed_aspect_ratio_warns(caplog) -> None:
    calibration = Calibration(MATRIX, (640, 480), (320, 256), 0.2, "points", 10, now_iso())
    Registration.from_calibration(calibration, tir_size_wh=(320, 240), rgb_size_wh=(640, 480))
    assert "recalibrate" in caplog.text


def test_scale_matrix_follows_pixel_centre_convention() -> None:
    np.testing.assert_allclose(scale_matrix((10, 10), (20, 20)) @ [0, 0, 1], [0.5, 0.5, 1])


def test_wrong_thermal_size_is_refused() -> None:
    with pytest.raises(ValueError, match="expects 320x256"):
        Registration(MATRIX, (320, 256), (640, 480)).warp_tir(np.zeros((10, 10), np.uint8))

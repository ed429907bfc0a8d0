"""The RANSAC fit from point pairs and its warnings, and the point-pair file format."""

from __future__ import annotations

import numpy as np
import pytest

from tpmri_calibration.calibrate import calibrate_from_point_pairs
from tpmri_calibration.errors import CalibrationError
from tpmri_calibration.homography import fit_homography, map_points
from tpmri_calibration.point_pairs import PointPairs, read_point_pairs, write_point_pairs

MATRIX_TIR_TO_RGB = np.array([[2.02, 0.03, 14.0], [-0.02, 1.98, 9.0], [5e-5, 2e-5, 1.0]])


def spread_points(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform([10, 10], [310, 246], size=(count, 2))


def test_fit_recovers_matrix_from_noisy_points_and_rejects_outliers() -> None:
    rng = np.random.default_rng(1)
    tir = spread_points(30)
    rgb = map_points(MATRIX_TIR_TO_RGB, tir) + rng.normal(0, 0.3, (30, 2))
    rgb[:3] += 40.0  # three mismatched pairs
    fit = fit_homography(tir, rgb, ransac_threshold_px=2.0, tir_size_wh=(320, 256), rgb_size_wh=(640, 480))
    assert fit.inlier_count == 27 and fit.point_count == 30
    assert 0.1 < fit.rms_error_px < 0.8
    probe = spread_points(50, seed=7)
    assert np.abs(map_points(fit.matrix_tir_to_rgb, probe) - map_points(MATRIX_TIR_TO_RGB, probe)).max() < 1.0
    assert fit.warnings == ()


def test_exactly_four_points_fit_exactly_but_warn() -> None:
    tir = np.array([[10.0, 10.0], [300.0, 20.0], [290.0, 240.0], [20.0, 230.0]])
    fit = fit_homography(tir, map_points(MATRIX_TIR_TO_RGB, tir))
    np.testing.assert_allclose(fit.matrix_tir_to_rgb, MATRIX_TIR_TO_RGB, rtol=1e-6, atol=1e-8)
    assert fit.rms_error_px < 1e-3
    assert any("only 4 point pairs" in w for w in fit.warnings)


def test_collinear_points_are_an_error_and_nearly_collinear_ones_warn() -> None:
    tir = np.stack([np.linspace(0, 300, 8), np.linspace(0, 200, 8)], axis=1)
    with pytest.raises(CalibrationError, match="lie on one line"):
        fit_homography(tir, map_points(MATRIX_TIR_TO_RGB, tir))
    tir[:, 1] += np.random.default_rng(0).normal(0, 0.5, 8)
    fit = fit_homography(tir, map_points(MATRIX_TIR_TO_RGB, tir))
    assert any("nearly) on one line" in w for w in fit.warnings)


def test_three_of_four_points_on_a_line_warn() -> None:
    tir = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [50.0, 100.0]])
    fit = fit_homography(tir, map_points(MATRIX_TIR_TO_RGB, tir))
    assert any("three of the few thermal points" in w for w in fit.warnings)


def test_points_bunched_in_a_corner_and_high_error_warn() -> None:
    tir = np.random.default_rng(2).uniform(0, 30, (12, 2))
    rgb = map_points(MATRIX_TIR_TO_RGB, tir) + np.random.default_rng(3).normal(0, 1.5, (12, 2))
    fit = fit_homography(tir, rgb, ransac_threshold_px=10.0, tir_size_wh=(320, 256), rgb_size_wh=(640, 480), high_rms_error_px=0.5)
    assert any("cover under" in w for w in fit.warnings)
    assert any("RMS reprojection error" in w for w in fit.warnings)


@pytest.mark.parametrize("count", [0, 3])
def test_too_few_points_is_an_error(count: int) -> None:
    with pytest.raises(CalibrationError, match="at least 4 point pairs"):
        fit_homography(spread_points(count), spread_points(count))


def test_point_pair_file_round_trip_gives_calibration(tmp_path) -> None:
    tir = spread_points(10)
    path = write_point_pairs(PointPairs(tir, map_points(MATRIX_TIR_TO_RGB, tir)), tmp_path / "pairs.csv")
    pairs = read_point_pairs(path)
    assert len(pairs) == 10
    outcome = calibrate_from_point_pairs(pairs, (320, 256), (640, 480))
    assert outcome.calibration.method == "point pairs"
    assert outcome.calibration.rms_error_px < 0.01
    np.testing.assert_allclose(outcome.calibration.matrix_tir_to_rgb, MATRIX_TIR_TO_RGB, rtol=1e-3, atol=1e-6)


def test_point_pair_file_accepts_header_comments_and_whitespace(tmp_path) -> None:
    path = tmp_path / "pairs.txt"
    path.write_text("tir_x,tir_y,rgb_x,rgb_y\n# picked by hand\n1 2 3 4\n\n5,6, 7,8  # corner\n9;10;11;12\n1 1 1 1\n")
    pairs = read_point_pairs(path)
    np.testing.assert_array_equal(pairs.points_tir[1], [5, 6])
    np.testing.assert_array_equal(pairs.points_rgb[2], [11, 12])


@pytest.mark.parametrize(
    "content, message",
    [
        ("1,2,3,4\n1,2,3\n", r"pairs.csv line 2: expected 4 numbers"),
        ("1,2,3,x\n", r"line 1: expected 4 numbers"),
        ("1,2,3,4\n5,6,7,8\n", "at least 4 point pairs, found 2"),
    ],
)
def test_bad_point_pair_files_name_file_and_line(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text(content)
    with pytest.raises(CalibrationError, match=message):
        read_point_pairs(path)


def test_points_outside_the_images_warn() -> None:
    tir = spread_points(8)
    pairs = PointPairs(tir, map_points(MATRIX_TIR_TO_RGB, tir))
    outcome = calibrate_from_point_pairs(pairs, (320, 256), (320, 240))
    assert any("outside the 320x240 image" in w for w in outcome.warnings)

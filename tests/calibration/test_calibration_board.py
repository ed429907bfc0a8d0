"""Homographies recovered from rendered board pairs: a known TIR -> RGB matrix must come back."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tpmri_calibration.board_detection import BoardKind, BoardPattern, align_point_order, detect_board
from tpmri_calibration.board_render import render_board_pair
from tpmri_calibration.calibrate import BoardImagePair, calibrate_from_board_images
from tpmri_calibration.errors import CalibrationError
from tpmri_calibration.homography import map_points

# A thermal camera at half the RGB resolution, shifted, slightly rotated and with a little perspective.
MATRIX_TIR_TO_RGB = np.array([[1.9, 0.05, 30.0], [-0.04, 1.95, 12.0], [8e-5, -5e-5, 1.0]])
RGB_SIZE, TIR_SIZE = (640, 480), (320, 256)
PATTERN = BoardPattern(BoardKind.CHESSBOARD, 9, 6)


def corner_errors_px(matrix_tir_to_rgb: np.ndarray, rendering) -> np.ndarray:
    """Distance between the true RGB corners and the true thermal corners mapped by the estimate."""
    return np.linalg.norm(map_points(matrix_tir_to_rgb, rendering.corners_tir) - rendering.corners_rgb, axis=1)


@pytest.fixture(scope="module")
def renderings():
    poses = [(0.55, 0.0), (0.5, 0.08)]
    return [
        render_board_pair(MATRIX_TIR_TO_RGB, RGB_SIZE, TIR_SIZE, fill=fill, tilt=tilt, seed=k)
        for k, (fill, tilt) in enumerate(poses)
    ]


def test_homography_from_rendered_board_pairs_has_subpixel_corner_error(renderings) -> None:
    pairs = [BoardImagePair(f"pose{k}", r.rgb, r.tir) for k, r in enumerate(renderings)]
    outcome = calibrate_from_board_images(pairs, PATTERN)

    calibration = outcome.calibration
    assert outcome.warnings == ()
    assert all(d.found_rgb and d.found_tir for d in outcome.detections)
    assert calibration.rgb_size_wh == RGB_SIZE and calibration.tir_size_wh == TIR_SIZE
    assert calibration.point_count == 2 * PATTERN.point_count
    assert calibration.rms_error_px < 0.5
    for rendering in renderings:
        errors = corner_errors_px(calibration.matrix_tir_to_rgb, rendering)
        assert errors.max() < 0.5, f"corner error {errors.max():.3f} px"
    # Also between the corners, over the whole board region: the matrix itself is right.
    np.testing.assert_allclose(
        map_points(calibration.matrix_tir_to_rgb, [[100, 80], [200, 150]]),
        map_points(MATRIX_TIR_TO_RGB, [[100, 80], [200, 150]]),
        atol=0.5,
    )


def test_thermal_board_is_found_in_inverted_low_contrast_16bit_image(renderings) -> None:
    rendering = renderings[0]
    grid = detect_board(rendering.tir, PATTERN, thermal=True)
    assert grid is not None and grid.shape == (PATTERN.rows, PATTERN.columns, 2)
    grid_rgb = detect_board(rendering.rgb, PATTERN, thermal=False)
    points = align_point_order(grid_rgb, grid, PATTERN)
    # The detector numbers from either end; the thermal points follow the RGB numbering.
    reversed_order = np.linalg.norm(grid_rgb.reshape(-1, 2)[0] - rendering.corners_rgb[-1]) < 1.0
    truth_tir = rendering.corners_tir[::-1] if reversed_order else rendering.corners_tir
    assert np.linalg.norm(points - truth_tir, axis=1).max() < 0.5


def test_point_order_is_aligned_when_detectors_number_from_opposite_corners(renderings) -> None:
    rendering = renderings[0]
    grid_rgb = rendering.corners_rgb.reshape(PATTERN.rows, PATTERN.columns, 2)
    grid_tir_reversed = rendering.corners_tir[::-1].reshape(PATTERN.rows, PATTERN.columns, 2)
    aligned = align_point_order(grid_rgb, grid_tir_reversed, PATTERN)
    np.testing.assert_allclose(aligned, rendering.corners_tir)


def test_pairs_without_a_visible_board_are_skipped_with_a_warning(renderings) -> None:
    blank = np.full_like(renderings[0].tir, 29800)
    pairs = [BoardImagePair("good", renderings[0].rgb, renderings[0].tir), BoardImagePair("blank", renderings[1].rgb, blank)]
    outcome = calibrate_from_board_images(pairs, PATTERN)
    assert any("blank" in w and "thermal" in w for w in outcome.warnings)
    assert outcome.calibration.point_count == PATTERN.point_count
    assert corner_errors_px(outcome.calibration.matrix_tir_to_rgb, renderings[0]).max() < 0.5


def test_no_board_anywhere_is_one_clear_error(renderings) -> None:
    blank_rgb = np.full((120, 160, 3), 128, np.uint8)
    blank_tir = np.full((60, 80), 29800, np.uint16)
    with pytest.raises(CalibrationError, match="chessboard 9x6 was not found in both images of any of the 1 pairs"):
        calibrate_from_board_images([BoardImagePair("p", blank_rgb, blank_tir)], PATTERN)


@pytest.mark.parametrize("kind, text", [("chessboard", "9x6"), ("circles", "4X11"), ("acircles", "4x11")])
def test_board_pattern_parses(kind: str, text: str) -> None:
    pattern = BoardPattern.parse(kind, text)
    assert pattern.kind.value == kind and pattern.point_count == int(text.lower().split("x")[0]) * int(text.lower().split("x")[1])


@pytest.mark.parametrize("kind, text, message", [("squares", "9x6", "not one of"), ("chessboard", "9by6", "COLUMNSxROWS"), ("chessboard", "1x6", "at least 2x2")])
def test_board_pattern_errors_name_the_value(kind: str, text: str, message: str) -> None:
    with pytest.raises(CalibrationError, match=message):
        BoardPattern.parse(kind, text)


def test_small_lepton_sized_thermal_image_is_upscaled_for_detection() -> None:
    lepton_matrix = np.array([[4.0, 0.0, 1.5], [0.0, 4.0, 1.5], [0.0, 0.0, 1.0]]) @ np.array(
        [[1.0, 0.02, 3.0], [-0.02, 1.0, 2.0], [0.0, 0.0, 1.0]]
    )
    rendering = render_board_pair(lepton_matrix, RGB_SIZE, (160, 120), fill=0.75, seed=3)
    outcome = calibrate_from_board_images([BoardImagePair("lepton", rendering.rgb, rendering.tir)], PATTERN)
    assert corner_errors_px(outcome.calibration.matrix_tir_to_rgb, rendering).max() < 1.0


def _circle_grid_image(size_wh, board_to_image, columns, rows, circle_value, paper_value, background) -> np.ndarray:
    """A symmetric circle grid (unit spacing, radius 0.3) drawn on a texture and warped into the image."""
    px_per_unit, margin = 64, 1.0
    width_units, height_units = columns - 1 + 2 * margin, rows - 1 + 2 * margin
    texture = np.full((int(height_units * px_per_unit), int(width_units * px_per_unit)), paper_value, np.float32)
    for row in range(rows):
        for column in range(columns):
            centre = ((column + margin) * px_per_unit - 0.5, (row + margin) * px_per_unit - 0.5)
            cv2.circle(texture, (round(centre[0] * 16), round(centre[1] * 16)), int(0.3 * px_per_unit * 16), circle_value, -1, cv2.LINE_AA, 4)
    board_to_texture = np.array([[px_per_unit, 0, margin * px_per_unit - 0.5], [0, px_per_unit, margin * px_per_unit - 0.5], [0, 0, 1]])
    fine_scale = np.array([[4.0, 0, 1.5], [0, 4.0, 1.5], [0, 0, 1]])
    fine = cv2.warpPerspective(
        texture, fine_scale @ board_to_image @ np.linalg.inv(board_to_texture), (size_wh[0] * 4, size_wh[1] * 4),
        flags=cv2.INTER_LINEAR, borderValue=float(background),
    )
    return cv2.resize(fine, size_wh, interpolation=cv2.INTER_AREA)


def test_circle_grid_calibration_recovers_matrix() -> None:
    columns, rows = 7, 5
    board_to_rgb = np.array([[50.0, 0, 150.0], [0, 50.0, 110.0], [0, 0, 1]])
    board_to_tir = np.linalg.inv(MATRIX_TIR_TO_RGB) @ board_to_rgb
    rgb = _circle_grid_image(RGB_SIZE, board_to_rgb, columns, rows, 20, 230, 120).astype(np.uint8)
    # Heated circles: bright in thermal.
    tir = _circle_grid_image(TIR_SIZE, board_to_tir, columns, rows, 30400, 29900, 29700).astype(np.uint16)
    pattern = BoardPattern(BoardKind.CIRCLES, columns, rows)
    outcome = calibrate_from_board_images([BoardImagePair("circles", rgb, tir)], pattern)
    grid_x, grid_y = np.meshgrid(np.arange(columns), np.arange(rows))
    board_points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(float)
    truth_rgb, truth_tir = map_points(board_to_rgb, board_points), map_points(board_to_tir, board_points)
    errors = np.linalg.norm(map_points(outcome.calibration.matrix_tir_to_rgb, truth_tir) - truth_rgb, axis=1)
    assert errors.max() < 0.5

"""Render a checkerboard as a camera would see it through a known homography.

Used by the tests (a board pair with a known TIR -> RGB matrix must be recovered) and to draw the
before/after overlay in the docs. Rendering is exact up to supersampling, so detected corners can be
compared with the true ones to a small fraction of a pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tpmri_calibration.homography import map_points
from tpmri_calibration.registration import scale_matrix


def chessboard_corners(board_to_image: np.ndarray, columns: int, rows: int) -> np.ndarray:
    """True image positions of the inner corners, row by row: (rows * columns, 2).

    Board units are squares: the board spans [0, columns + 1] x [0, rows + 1] and inner corner (i, j) sits at
    board point (i + 1, j + 1).
    """
    grid_x, grid_y = np.meshgrid(np.arange(1, columns + 1), np.arange(1, rows + 1))
    board_points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float64)
    return map_points(board_to_image, board_points)


def render_chessboard(
    size_wh: tuple[int, int],
    board_to_image: np.ndarray,
    columns: int,
    rows: int,
    dark: float = 20.0,
    light: float = 235.0,
    background: float = 120.0,
    margin_squares: float = 1.0,
    supersample: int = 4,
    texture_px_per_square: int = 64,
) -> np.ndarray:
    """Float32 (H, W) image of a board with `columns` x `rows` inner corners on a `light` sheet.

    The board is drawn as a sharp texture, warped onto a `supersample` times larger grid and averaged
    down (anti-aliasing, which sub-pixel corner detection needs).

    Args:
        size_wh: image size.
        board_to_image: homography from board units (one unit per square) to image pixels.
        columns, rows: inner corners; the board has columns + 1 by rows + 1 squares.
        dark, light, background: intensities of dark squares, of light squares and the sheet, and elsewhere.
        margin_squares: width of the light sheet around the squares, in squares (whole squares).
        supersample: samples per pixel side.
        texture_px_per_square: resolution of the board texture.
    """
    margin = int(round(margin_squares))
    squares_x, squares_y = columns + 1 + 2 * margin, rows + 1 + 2 * margin
    parity = (np.arange(squares_y)[:, None] + np.arange(squares_x)[None, :]) % 2 == 0
    inside = np.zeros_like(parity)
    inside[margin : margin + rows + 1, margin : margin + columns + 1] = True
    squares = np.where(parity & inside, dark, light).astype(np.float32)
    texture = np.kron(squares, np.ones((texture_px_per_square, texture_px_per_square), np.float32))
    # Board point (0, 0) is the outer corner of the first square, which is texel edge margin * t,
    # i.e. coordinate margin * t - 0.5 with texel centres at integers.
    t = float(texture_px_per_square)
    board_to_texture = np.array([[t, 0, margin * t - 0.5], [0, t, margin * t - 0.5], [0, 0, 1]])
    width, height = size_wh
    image_to_fine = scale_matrix((width, height), (width * supersample, height * supersample))
    texture_to_fine = image_to_fine @ board_to_image @ np.linalg.inv(board_to_texture)
    fine = cv2.warpPerspective(
        texture, texture_to_fine, (width * supersample, height * supersample), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=float(background),
    )
    return cv2.resize(fine, (width, height), interpolation=cv2.INTER_AREA)


def board_placement(size_wh: tuple[int, int], columns: int, rows: int, fill: float = 0.6, tilt: float = 0.0) -> np.ndarray:
    """A board-to-image homography that centres the board, filling `fill` of the image width.

    `tilt` adds a perspective tilt (0 = fronto-parallel; 0.1 is a clearly slanted board).
    """
    width, height = size_wh
    square_px = fill * min(width / (columns + 1), height / (rows + 1))
    translate = np.array(
        [[1, 0, (width - square_px * (columns + 1)) / 2], [0, 1, (height - square_px * (rows + 1)) / 2], [0, 0, 1]]
    )
    scale = np.diag([square_px, square_px, 1.0])
    perspective = np.array([[1, 0, 0], [0, 1, 0], [tilt / (columns + 1), 0, 1]])
    return translate @ scale @ perspective


@dataclass(frozen=True, eq=False)
class BoardPairRendering:
    """A board seen by both cameras, with the truth to check a calibration against.

    Args:
        rgb: (H, W, 3) uint8 colour image (grey board, as OpenCV would load it).
        tir: (h, w) uint16 thermal image of a heated board: dark squares warm (bright), low contrast, noisy.
        corners_rgb: true inner-corner positions in the RGB image, row by row.
        corners_tir: the same corners in the thermal image.
    """

    rgb: np.ndarray
    tir: np.ndarray
    corners_rgb: np.ndarray
    corners_tir: np.ndarray


def render_board_pair(
    matrix_tir_to_rgb: np.ndarray,
    rgb_size_wh: tuple[int, int],
    tir_size_wh: tuple[int, int],
    columns: int = 9,
    rows: int = 6,
    fill: float = 0.6,
    tilt: float = 0.0,
    seed: int = 0,
) -> BoardPairRendering:
    """Render one board pose in RGB and, through `matrix_tir_to_rgb`, in thermal."""
    rng = np.random.default_rng(seed)
    board_to_rgb = board_placement(rgb_size_wh, columns, rows, fill, tilt)
    board_to_tir = np.linalg.inv(matrix_tir_to_rgb) @ board_to_rgb
    rgb = render_chessboard(rgb_size_wh, board_to_rgb, columns, rows)
    rgb = np.clip(rgb + rng.normal(0.0, 2.0, rgb.shape), 0, 255).astype(np.uint8)
    # Heated board, centi-kelvin: squares at ~30 C, sheet at ~26 C, room at ~24 C; optics blur, sensor noise.
    tir = render_chessboard(tir_size_wh, board_to_tir, columns, rows, dark=30315.0, light=29915.0, background=29715.0)
    tir = cv2.GaussianBlur(tir, (0, 0), 0.8)
    tir = np.clip(tir + rng.normal(0.0, 8.0, tir.shape), 0, 65535).astype(np.uint16)
    return BoardPairRendering(
        rgb=cv2.cvtColor(rgb, cv2.COLOR_GRAY2BGR),
        tir=tir,
        corners_rgb=chessboard_corners(board_to_rgb, columns, rows),
        corners_tir=chessboard_corners(board_to_tir, columns, rows),
    )

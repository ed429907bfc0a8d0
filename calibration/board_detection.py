"""Find a checkerboard or circle grid in an RGB image and in a thermal image, in matching point order.

Thermal boards are low-contrast and often of inverted polarity (a heated board shows its dark squares
bright), so the thermal image is contrast-stretched and tried both as is and inverted; small thermal
images (a 160x120 Lepton) are upscaled before detection. Channel order of colour images does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from tpmri_calibration.errors import CalibrationError

# Detectors are unreliable on very small images; smaller thermal images are upscaled to this short side.
MIN_DETECTION_SIDE_PX = 240
SECTOR_DETECTOR_FLAGS = (
    cv2.CALIB_CB_EXHAUSTIVE | cv2.CALIB_CB_ACCURACY,
    cv2.CALIB_CB_EXHAUSTIVE | cv2.CALIB_CB_ACCURACY | cv2.CALIB_CB_NORMALIZE_IMAGE,
)
STRETCH_PERCENTILES = (0.5, 99.5)


class BoardKind(StrEnum):
    CHESSBOARD = "chessboard"
    CIRCLES = "circles"
    ASYMMETRIC_CIRCLES = "acircles"


@dataclass(frozen=True)
class BoardPattern:
    """The calibration target.

    Args:
        kind: chessboard, circles (symmetric grid) or acircles (asymmetric grid).
        columns: inner corners per row for a chessboard (squares per row minus one), circles per row otherwise.
        rows: inner corners per column for a chessboard, circle rows otherwise.
    """

    kind: BoardKind
    columns: int
    rows: int

    def __post_init__(self) -> None:
        if self.columns < 2 or self.rows < 2:
            raise CalibrationError(f"board pattern {self.columns}x{self.rows} needs at least 2x2 points")

    @classmethod
    def parse(cls, kind: str, size_text: str) -> BoardPattern:
        """Read a pattern from command-line text such as ('chessboard', '9x6')."""
        try:
            board_kind = BoardKind(kind)
        except ValueError:
            choices = ", ".join(k.value for k in BoardKind)
            raise CalibrationError(f"board kind {kind!r} is not one of {choices}") from None
        parts = size_text.lower().split("x")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise CalibrationError(f"board pattern {size_text!r} must be COLUMNSxROWS, for example 9x6")
        return cls(board_kind, int(parts[0]), int(parts[1]))

    @property
    def point_count(self) -> int:
        return self.columns * self.rows

    @property
    def size_text(self) -> str:
        return f"{self.columns}x{self.rows}"


def to_gray_uint8(image: np.ndarray) -> np.ndarray:
    """Grey uint8 view of any 8- or 16-bit, 1- to 4-channel image, contrast-stretched if not 8-bit."""
    if image.ndim == 3:
        image = image[..., :3].mean(axis=2) if image.dtype != np.uint8 else cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2GRAY)
    if image.dtype == np.uint8:
        return image
    return contrast_stretch(image)


def contrast_stretch(image: np.ndarray, percentiles: tuple[float, float] = STRETCH_PERCENTILES) -> np.ndarray:
    """Map the given percentiles of a grey image to 0 and 255 (uint8)."""
    low, high = np.percentile(image, percentiles)
    span = max(float(high - low), 1e-6)
    return np.clip((image.astype(np.float32) - low) * (255.0 / span), 0, 255).astype(np.uint8)


def detect_board(image: np.ndarray, pattern: BoardPattern, thermal: bool) -> np.ndarray | None:
    """Board points as a (rows, columns, 2) float64 array in pixel coordinates, or None when not found.

    Args:
        image: grey or colour image, 8- or 16-bit.
        pattern: the board to look for.
        thermal: stretch contrast and also try the inverted image.
    """
    gray = to_gray_uint8(image)
    if thermal:
        gray = contrast_stretch(gray)
    scale = max(1.0, MIN_DETECTION_SIDE_PX / min(gray.shape)) if thermal else 1.0
    if scale > 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    candidates = [gray, 255 - gray] if thermal else [gray]
    for candidate in candidates:
        points = _detect_in_gray(candidate, pattern)
        if points is not None:
            # Pixel centres sit at integer coordinates: undo the resize about them.
            points = (points + 0.5) / scale - 0.5
            return points.reshape(pattern.rows, pattern.columns, 2)
    return None


def _detect_in_gray(gray: np.ndarray, pattern: BoardPattern) -> np.ndarray | None:
    size = (pattern.columns, pattern.rows)
    if pattern.kind is BoardKind.CHESSBOARD:
        # Histogram normalisation helps dim photos but defeats thermal images dominated by background,
        # so both are tried.
        found, corners = False, None
        for flags in SECTOR_DETECTOR_FLAGS:
            found, corners = cv2.findChessboardCornersSB(gray, size, flags=flags)
            if found:
                break
        if not found:
            found, corners = cv2.findChessboardCorners(gray, size, flags=cv2.CALIB_CB_ADAPTIVE_THRESH)
        if found:
            corners = _refine_corners(gray, corners, pattern)
    else:
        flags = cv2.CALIB_CB_SYMMETRIC_GRID if pattern.kind is BoardKind.CIRCLES else cv2.CALIB_CB_ASYMMETRIC_GRID
        found, corners = cv2.findCirclesGrid(gray, size, flags=flags)
    if not found or corners is None:
        return None
    return np.asarray(corners, dtype=np.float64).reshape(-1, 2)


def _refine_corners(gray: np.ndarray, corners: np.ndarray, pattern: BoardPattern) -> np.ndarray:
    """Sub-pixel refinement (the sector-based detector alone is biased by up to 0.3 px under perspective).

    The search window is a quarter of the smallest corner spacing, so it never reaches a neighbour.
    """
    grid = np.asarray(corners, np.float32).reshape(pattern.rows, pattern.columns, 2)
    spacing = min(
        np.linalg.norm(np.diff(grid, axis=0), axis=2).min(), np.linalg.norm(np.diff(grid, axis=1), axis=2).min()
    )
    half_window = int(np.clip(round(0.25 * spacing), 2, 10))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 50, 0.001)
    return cv2.cornerSubPix(gray, grid.reshape(-1, 1, 2), (half_window, half_window), (-1, -1), criteria)


def align_point_order(grid_rgb: np.ndarray, grid_tir: np.ndarray, pattern: BoardPattern) -> np.ndarray:
    """Reorder the thermal grid so that its point k is the same physical point as RGB point k.

    A symmetric board looks the same rotated by 180 degrees (and by 90 degrees when square), so the
    two detectors may number it from opposite corners. We keep the numbering whose row and column
    directions agree best with the RGB ones, which assumes the cameras are mounted upright relative to
    each other (less than 90 degrees of roll) and that neither image is mirrored.

    Returns:
        (rows * columns, 2) thermal points in the RGB numbering.
    """
    if pattern.kind is BoardKind.ASYMMETRIC_CIRCLES:
        return grid_tir.reshape(-1, 2)
    candidates = [grid_tir, grid_tir[::-1, ::-1]]
    if pattern.rows == pattern.columns:
        candidates += [np.rot90(grid_tir, 1), np.rot90(grid_tir, 3)]
    row_rgb, column_rgb = _grid_directions(grid_rgb)

    def agreement(grid: np.ndarray) -> float:
        row_tir, column_tir = _grid_directions(grid)
        return float(row_rgb @ row_tir + column_rgb @ column_tir)

    best = max(candidates, key=agreement)
    return np.ascontiguousarray(best).reshape(-1, 2)


def _grid_directions(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors along the grid's rows (first to last column) and columns (first to last row)."""
    along_row = (grid[:, -1] - grid[:, 0]).mean(axis=0)
    along_column = (grid[-1, :] - grid[0, :]).mean(axis=0)
    return along_row / (np.linalg.norm(along_row) + 1e-12), along_column / (np.linalg.norm(along_column) + 1e-12)

"""Measure a `Calibration` from board image pairs or from point pairs (the work behind `tpmri calibrate`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tpmri_calibration.board_detection import BoardPattern, align_point_order, detect_board
from tpmri_calibration.calibration_file import Calibration, now_iso
from tpmri_calibration.errors import CalibrationError
from tpmri_calibration.homography import HIGH_RMS_ERROR_PX, fit_homography
from tpmri_calibration.point_pairs import PointPairs

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True, eq=False)
class BoardImagePair:
    """One view of the board by both cameras. Images as read by OpenCV (any channel order, 8 or 16 bit)."""

    name: str
    rgb: np.ndarray
    tir: np.ndarray


@dataclass(frozen=True)
class BoardDetection:
    """Whether the board was found in each image of a pair (thermal is not searched when RGB failed)."""

    name: str
    found_rgb: bool
    found_tir: bool


@dataclass(frozen=True, eq=False)
class CalibrationOutcome:
    """A calibration, the warnings a user should read, and per image pair whether the board was found."""

    calibration: Calibration
    warnings: tuple[str, ...]
    detections: tuple[BoardDetection, ...] = ()


def read_image(path: str | Path) -> np.ndarray:
    """Read an image unchanged (16-bit thermal PNGs stay 16-bit); CalibrationError if unreadable."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise CalibrationError(f"image {path} cannot be read (missing, or not an image)")
    return image


def list_images(paths: Sequence[str | Path]) -> list[Path]:
    """Expand folders into their image files (sorted by name); keep files as given."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.exists():
            found.append(path)
        else:
            raise CalibrationError(f"image path {path} does not exist")
    return found


def size_wh(image: np.ndarray) -> tuple[int, int]:
    return int(image.shape[1]), int(image.shape[0])


def calibrate_from_board_images(
    pairs: Sequence[BoardImagePair],
    pattern: BoardPattern,
    ransac_threshold_px: float = 3.0,
    high_rms_error_px: float = HIGH_RMS_ERROR_PX,
) -> CalibrationOutcome:
    """Detect the board in every pair, pool the matched points and fit one homography.

    Pairs where either camera misses the board are skipped with a warning; at least one must succeed.
    """
    if not pairs:
        raise CalibrationError("no image pairs given")
    rgb_size, tir_size = size_wh(pairs[0].rgb), size_wh(pairs[0].tir)
    points_rgb, points_tir, detections = [], [], []
    warnings: list[str] = []
    for pair in pairs:
        if size_wh(pair.rgb) != rgb_size or size_wh(pair.tir) != tir_size:
            raise CalibrationError(
                f"image pair {pair.name}: sizes RGB {size_wh(pair.rgb)} / thermal {size_wh(pair.tir)} differ from "
                f"the first pair's {rgb_size} / {tir_size}; all pairs must come from the same camera modes"
            )
        grid_rgb = detect_board(pair.rgb, pattern, thermal=False)
        # Detection failures are slow (exhaustive search): skip thermal when RGB already failed.
        grid_tir = detect_board(pair.tir, pattern, thermal=True) if grid_rgb is not None else None
        detections.append(BoardDetection(pair.name, grid_rgb is not None, grid_tir is not None))
        if grid_rgb is None or grid_tir is None:
            missing = "RGB" if grid_rgb is None else "thermal"
            warnings.append(f"{pair.name}: no {pattern.kind.value} {pattern.size_text} found in the {missing} image")
            continue
        points_rgb.append(grid_rgb.reshape(-1, 2))
        points_tir.append(align_point_order(grid_rgb, grid_tir, pattern))
    used = len(points_rgb)
    if used == 0:
        raise CalibrationError(
            f"the {pattern.kind.value} {pattern.size_text} was not found in both images of any of the "
            f"{len(pairs)} pairs (check --board and --pattern: a chessboard pattern counts inner corners)"
        )
    fit = fit_homography(
        np.concatenate(points_tir), np.concatenate(points_rgb), ransac_threshold_px, tir_size, rgb_size, high_rms_error_px
    )
    method = f"{pattern.kind.value} {pattern.size_text}, {used} image pair{'s' if used != 1 else ''}"
    calibration = Calibration(fit.matrix_tir_to_rgb, rgb_size, tir_size, fit.rms_error_px, method, fit.inlier_count, now_iso())
    return CalibrationOutcome(calibration, tuple(warnings) + fit.warnings, tuple(detections))


def calibrate_from_point_pairs(
    pairs: PointPairs,
    tir_size_wh: tuple[int, int],
    rgb_size_wh: tuple[int, int],
    ransac_threshold_px: float = 3.0,
    high_rms_error_px: float = HIGH_RMS_ERROR_PX,
) -> CalibrationOutcome:
    """Fit the homography to hand-picked pairs; warns about points outside the given image sizes."""
    warnings: list[str] = []
    for label, points, (width, height) in (
        ("thermal", pairs.points_tir, tir_size_wh),
        ("RGB", pairs.points_rgb, rgb_size_wh),
    ):
        outside = int(((points < -0.5) | (points > np.array([width, height]) - 0.5)).any(axis=1).sum())
        if outside:
            warnings.append(f"{outside} {label} points lie outside the {width}x{height} image: check the sizes")
    fit = fit_homography(pairs.points_tir, pairs.points_rgb, ransac_threshold_px, tir_size_wh, rgb_size_wh, high_rms_error_px)
    calibration = Calibration(
        fit.matrix_tir_to_rgb, rgb_size_wh, tir_size_wh, fit.rms_error_px, "point pairs", fit.inlier_count, now_iso()
    )
    return CalibrationOutcome(calibration, tuple(warnings) + fit.warnings)

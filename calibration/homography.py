"""Estimate the thermal-to-RGB homography from point correspondences and judge how trustworthy it is.

A homography maps one image plane onto another exactly only for a planar scene or for two cameras that
share an optical centre; for side-by-side cameras it is exact at the distance where it was measured, so
calibrate with the board at the distance you will track at.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tpmri_calibration.errors import CalibrationError

MIN_POINT_PAIRS = 4
# Thresholds for the warnings below; chosen so that a board filling a fifth of the view passes.
HIGH_RMS_ERROR_PX = 2.0
COLLINEAR_SINGULAR_RATIO = 0.02
EXACTLY_COLLINEAR_RATIO = 1e-6
SMALL_COVERAGE_FRACTION = 0.05
LOW_INLIER_FRACTION = 0.8


@dataclass(frozen=True)
class HomographyFit:
    """A fitted TIR -> RGB homography and how well it explains the points it came from.

    Args:
        matrix_tir_to_rgb: (3, 3) float64 matrix mapping thermal pixels to RGB pixels, scaled so [2, 2] == 1.
        rms_error_px: root-mean-square distance in RGB pixels between mapped thermal points and their RGB
            partners, over the RANSAC inliers.
        inlier_count: point pairs RANSAC kept.
        point_count: point pairs given.
        warnings: one line per reason to distrust the result (high error, degenerate or few points).
    """

    matrix_tir_to_rgb: np.ndarray
    rms_error_px: float
    inlier_count: int
    point_count: int
    warnings: tuple[str, ...] = ()


def map_points(matrix: np.ndarray, points_xy: np.ndarray) -> np.ndarray:
    """Apply a 3x3 homography to (N, 2) points; returns (N, 2) float64."""
    points = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    homogeneous = np.concatenate([points, np.ones((len(points), 1))], axis=1) @ np.asarray(matrix).T
    return homogeneous[:, :2] / homogeneous[:, 2:3]


def reprojection_errors_px(matrix_tir_to_rgb: np.ndarray, points_tir: np.ndarray, points_rgb: np.ndarray) -> np.ndarray:
    """Distance in RGB pixels between each mapped thermal point and its RGB partner."""
    mapped = map_points(matrix_tir_to_rgb, points_tir)
    return np.linalg.norm(mapped - np.asarray(points_rgb, dtype=np.float64).reshape(-1, 2), axis=1)


def geometry_warnings(points_xy: np.ndarray, image_size_wh: tuple[int, int] | None, label: str) -> list[str]:
    """Reasons why points cannot pin down a homography well: nearly collinear, or bunched in a corner."""
    points = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    warnings: list[str] = []
    centred = points - points.mean(axis=0)
    singular_values = np.linalg.svd(centred, compute_uv=False)
    if singular_values[0] == 0 or singular_values[-1] / singular_values[0] < COLLINEAR_SINGULAR_RATIO:
        warnings.append(f"the {label} points lie (nearly) on one line: the homography is poorly constrained")
    elif len(points) <= 6 and _has_collinear_triple(points, singular_values[0]):
        warnings.append(f"three of the few {label} points lie (nearly) on one line: add points spread out")
    if image_size_wh is not None:
        width, height = image_size_wh
        span = points.max(axis=0) - points.min(axis=0)
        if span[0] * span[1] < SMALL_COVERAGE_FRACTION * width * height:
            warnings.append(
                f"the {label} points cover under {SMALL_COVERAGE_FRACTION:.0%} of the image: "
                "registration will be poor away from them"
            )
    return warnings


def _has_collinear_triple(points: np.ndarray, scale: float) -> bool:
    count = len(points)
    for i in range(count):
        for j in range(i + 1, count):
            for k in range(j + 1, count):
                a, b, c = points[i], points[j], points[k]
                twice_area = abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
                if twice_area < (COLLINEAR_SINGULAR_RATIO * scale) ** 2:
                    return True
    return False


def fit_homography(
    points_tir: np.ndarray,
    points_rgb: np.ndarray,
    ransac_threshold_px: float = 3.0,
    tir_size_wh: tuple[int, int] | None = None,
    rgb_size_wh: tuple[int, int] | None = None,
    high_rms_error_px: float = HIGH_RMS_ERROR_PX,
) -> HomographyFit:
    """Fit TIR -> RGB with RANSAC (outliers rejected, inliers refined) and collect warnings.

    Args:
        points_tir: (N, 2) thermal pixel coordinates.
        points_rgb: (N, 2) RGB pixel coordinates of the same physical points, same order.
        ransac_threshold_px: largest RGB-pixel distance for a pair to count as an inlier.
        tir_size_wh, rgb_size_wh: image sizes, used only to warn about points bunched in one place.
        high_rms_error_px: warn above this RMS reprojection error.

    Raises:
        CalibrationError: fewer than 4 pairs, mismatched counts, or no homography fits at all.
    """
    tir = np.asarray(points_tir, dtype=np.float64).reshape(-1, 2)
    rgb = np.asarray(points_rgb, dtype=np.float64).reshape(-1, 2)
    if len(tir) != len(rgb):
        raise CalibrationError(f"{len(tir)} thermal points but {len(rgb)} RGB points: they must pair up")
    if len(tir) < MIN_POINT_PAIRS:
        raise CalibrationError(f"a homography needs at least {MIN_POINT_PAIRS} point pairs, got {len(tir)}")
    if not (np.isfinite(tir).all() and np.isfinite(rgb).all()):
        raise CalibrationError("point coordinates must be finite numbers")

    for label, points in (("thermal", tir), ("RGB", rgb)):
        singular_values = np.linalg.svd(points - points.mean(axis=0), compute_uv=False)
        if singular_values[-1] <= EXACTLY_COLLINEAR_RATIO * max(singular_values[0], 1e-12):
            raise CalibrationError(f"all {label} points lie on one line (or coincide): no homography is defined")
    warnings = geometry_warnings(tir, tir_size_wh, "thermal") + geometry_warnings(rgb, rgb_size_wh, "RGB")
    method = cv2.RANSAC if len(tir) > MIN_POINT_PAIRS else 0
    matrix, inlier_mask = cv2.findHomography(tir, rgb, method, ransacReprojThreshold=ransac_threshold_px)
    if matrix is None or not np.isfinite(matrix).all() or abs(np.linalg.det(matrix)) < 1e-12:
        raise CalibrationError("no homography fits these points: they are degenerate (collinear or repeated)")
    matrix = matrix / matrix[2, 2]
    inliers = np.ones(len(tir), bool) if inlier_mask is None else inlier_mask.ravel().astype(bool)
    errors = reprojection_errors_px(matrix, tir[inliers], rgb[inliers])
    rms_error_px = float(np.sqrt(np.mean(errors**2)))

    inlier_count = int(inliers.sum())
    if inlier_count < LOW_INLIER_FRACTION * len(tir):
        warnings.append(
            f"RANSAC rejected {len(tir) - inlier_count} of {len(tir)} point pairs as outliers: "
            "check the pairing and the board detections"
        )
    if inlier_count == MIN_POINT_PAIRS:
        warnings.append("only 4 point pairs: the homography fits them exactly and nothing checks it; use more")
    if rms_error_px > high_rms_error_px:
        warnings.append(
            f"RMS reprojection error {rms_error_px:.2f} px is above {high_rms_error_px:.1f} px: "
            "points may be mismatched, or the scene is not planar at one distance"
        )
    return HomographyFit(matrix, rms_error_px, inlier_count, len(tir), tuple(warnings))

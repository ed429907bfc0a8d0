"""Put the thermal image on the RGB pixel grid, and map boxes between the two grids.

`Registration` is a homography with both image sizes. Build it from a `Calibration` (rescaled when the
cameras now deliver other resolutions of the same view), or, without a calibration, as `stretch`: the
thermal image is assumed to see the same field of view and is resized onto the RGB grid (the identity
when both sizes are equal). Like norfair's `HomographyTransformation`, forward and inverse maps come in
pairs over (N, 2) point arrays.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from tpmri_calibration.calibration_file import Calibration
from tpmri_calibration.homography import map_points

_LOG = logging.getLogger(__name__)
# Relative difference of aspect ratios above which a rescaled calibration is suspect (a different crop).
ASPECT_TOLERANCE = 0.02


def scale_matrix(from_size_wh: tuple[int, int], to_size_wh: tuple[int, int]) -> np.ndarray:
    """Homography that resizes an image, with pixel centres at integer coordinates (as cv2.resize does)."""
    sx = to_size_wh[0] / from_size_wh[0]
    sy = to_size_wh[1] / from_size_wh[1]
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


class Registration:
    """A TIR -> RGB homography for given thermal and RGB image sizes.

    Args:
        matrix_tir_to_rgb: (3, 3) homography from thermal pixels to RGB pixels.
        tir_size_wh: (width, height) of the thermal images it applies to.
        rgb_size_wh: (width, height) of the RGB grid it maps onto.
    """

    def __init__(
        self, matrix_tir_to_rgb: np.ndarray, tir_size_wh: tuple[int, int], rgb_size_wh: tuple[int, int]
    ) -> None:
        self.matrix_tir_to_rgb = np.asarray(matrix_tir_to_rgb, dtype=np.float64) / matrix_tir_to_rgb[2][2]
        self.matrix_rgb_to_tir = np.linalg.inv(self.matrix_tir_to_rgb)
        self.tir_size_wh = (int(tir_size_wh[0]), int(tir_size_wh[1]))
        self.rgb_size_wh = (int(rgb_size_wh[0]), int(rgb_size_wh[1]))
        self.is_identity = self.tir_size_wh == self.rgb_size_wh and bool(
            np.allclose(self.matrix_tir_to_rgb, np.eye(3), atol=1e-9)
        )

    def __repr__(self) -> str:
        return (
            f"Registration(tir {self.tir_size_wh} -> rgb {self.rgb_size_wh}, "
            f"matrix_tir_to_rgb={np.round(self.matrix_tir_to_rgb, 4).tolist()})"
        )

    @classmethod
    def identity(cls, size_wh: tuple[int, int]) -> Registration:
        return cls(np.eye(3), size_wh, size_wh)

    @classmethod
    def stretch(cls, tir_size_wh: tuple[int, int], rgb_size_wh: tuple[int, int]) -> Registration:
        """No calibration: assume both cameras see the same view and resize thermal onto the RGB grid."""
        return cls(scale_matrix(tir_size_wh, rgb_size_wh), tir_size_wh, rgb_size_wh)

    @classmethod
    def from_calibration(
        cls,
        calibration: Calibration,
        tir_size_wh: tuple[int, int] | None = None,
        rgb_size_wh: tuple[int, int] | None = None,
    ) -> Registration:
        """Registration for the actual image sizes, rescaling the calibrated matrix if they changed.

        A camera switched from 640x512 to 320x256 sees the same view at half the resolution, so the
        matrix is conjugated by the two scalings. A changed aspect ratio usually means a different crop,
        where rescaling is wrong: we log a warning and recommend recalibrating.
        """
        tir_size_wh = tir_size_wh or calibration.tir_size_wh
        rgb_size_wh = rgb_size_wh or calibration.rgb_size_wh
        matrix = calibration.matrix_tir_to_rgb
        for name, measured, actual in (
            ("thermal", calibration.tir_size_wh, tir_size_wh),
            ("RGB", calibration.rgb_size_wh, rgb_size_wh),
        ):
            if tuple(measured) != tuple(actual) and abs(
                (actual[0] / actual[1]) / (measured[0] / measured[1]) - 1
            ) > ASPECT_TOLERANCE:
                _LOG.warning(
                    "%s images are %dx%d but the calibration was measured at %dx%d with another aspect ratio;"
                    " the rescaled registration is likely wrong: recalibrate at this resolution",
                    name, actual[0], actual[1], measured[0], measured[1],
                )
        if tuple(tir_size_wh) != tuple(calibration.tir_size_wh) or tuple(rgb_size_wh) != tuple(calibration.rgb_size_wh):
            matrix = (
                scale_matrix(calibration.rgb_size_wh, rgb_size_wh)
                @ matrix
                @ np.linalg.inv(scale_matrix(calibration.tir_size_wh, tir_size_wh))
            )
        return cls(matrix, tir_size_wh, rgb_size_wh)

    def warp_tir(self, tir: np.ndarray, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
        """The thermal image resampled onto the RGB grid (same dtype; black where thermal sees nothing)."""
        if tir.shape[1::-1] != self.tir_size_wh:
            raise ValueError(f"thermal image is {tir.shape[1]}x{tir.shape[0]}, this registration expects "
                             f"{self.tir_size_wh[0]}x{self.tir_size_wh[1]}")
        if self.is_identity:
            return tir
        return cv2.warpPerspective(
            tir, self.matrix_tir_to_rgb, self.rgb_size_wh, flags=interpolation, borderMode=cv2.BORDER_CONSTANT
        )

    def points_tir_to_rgb(self, points_xy: np.ndarray) -> np.ndarray:
        return map_points(self.matrix_tir_to_rgb, points_xy)

    def points_rgb_to_tir(self, points_xy: np.ndarray) -> np.ndarray:
        return map_points(self.matrix_rgb_to_tir, points_xy)

    def box_xywh_tir_to_rgb(self, box_xywh: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """The axis-aligned box enclosing the mapped corners of a thermal box."""
        return _map_box_xywh(self.matrix_tir_to_rgb, box_xywh)

    def box_xywh_rgb_to_tir(self, box_xywh: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """The axis-aligned box enclosing the mapped corners of an RGB box."""
        return _map_box_xywh(self.matrix_rgb_to_tir, box_xywh)


def _map_box_xywh(matrix: np.ndarray, box_xywh: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in box_xywh)
    # Box edges, not pixel centres: map the four outer corners.
    corners = np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]]) - 0.5
    mapped = map_points(matrix, corners) + 0.5
    low, high = mapped.min(axis=0), mapped.max(axis=0)
    return float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1])

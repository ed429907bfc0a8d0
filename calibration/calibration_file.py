"""The calibration file: a versioned JSON document holding the TIR -> RGB homography.

Example (all keys required, no others allowed)::

    {
      "format": "tpmri-calibration",
      "version": 1,
      "matrix_tir_to_rgb": [[2.01, 0.02, 11.5], [-0.01, 1.99, 8.2], [0.0, 0.0, 1.0]],
      "rgb_size": [640, 480],
      "tir_size": [320, 256],
      "rms_error_px": 0.42,
      "method": "chessboard 9x6, 5 image pairs",
      "point_count": 270,
      "created": "2025-05-01T14:03:22+00:00"
    }

Sizes are [width, height] in pixels of the images the matrix was measured on; the registration rescales
the matrix when the cameras later deliver another resolution of the same view.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tpmri_calibration.errors import CalibrationError

FORMAT_NAME = "tpmri-calibration"
FORMAT_VERSION = 1
_KEYS = (
    "format",
    "version",
    "matrix_tir_to_rgb",
    "rgb_size",
    "tir_size",
    "rms_error_px",
    "method",
    "point_count",
    "created",
)
# A homography whose condition number exceeds this cannot be inverted reliably (boxes map back badly).
MAX_CONDITION_NUMBER = 1e12


@dataclass(frozen=True, eq=False)
class Calibration:
    """A measured TIR -> RGB homography with the image sizes it holds for.

    Args:
        matrix_tir_to_rgb: (3, 3) float64 homography from thermal pixels to RGB pixels.
        rgb_size_wh: (width, height) of the RGB images it was measured on.
        tir_size_wh: (width, height) of the thermal images it was measured on.
        rms_error_px: RMS reprojection error in RGB pixels over the points it was fitted to.
        method: how it was measured, in words ("chessboard 9x6, 5 image pairs", "point pairs").
        point_count: point pairs used.
        created: ISO 8601 date and time of the measurement.
    """

    matrix_tir_to_rgb: np.ndarray
    rgb_size_wh: tuple[int, int]
    tir_size_wh: tuple[int, int]
    rms_error_px: float
    method: str
    point_count: int
    created: str

    def __post_init__(self) -> None:
        problem = _matrix_problem(self.matrix_tir_to_rgb)
        if problem:
            raise CalibrationError(f"matrix_tir_to_rgb {problem}")
        for name, size in (("rgb_size_wh", self.rgb_size_wh), ("tir_size_wh", self.tir_size_wh)):
            if len(size) != 2 or min(size) <= 0:
                raise CalibrationError(f"{name} must be two positive integers, got {size}")

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "matrix_tir_to_rgb": np.asarray(self.matrix_tir_to_rgb, dtype=np.float64).tolist(),
            "rgb_size": list(self.rgb_size_wh),
            "tir_size": list(self.tir_size_wh),
            "rms_error_px": float(self.rms_error_px),
            "method": self.method,
            "point_count": int(self.point_count),
            "created": self.created,
        }


def now_iso() -> str:
    """The current time as an ISO 8601 string in UTC, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def save_calibration(calibration: Calibration, path: str | Path) -> Path:
    """Write the calibration as indented JSON; creates parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = calibration.to_json_dict()
    # One line per matrix row and per size keeps the file readable by eye.
    lines = [f"  {json.dumps(key)}: {_compact(value)}" for key, value in document.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    return path


def _compact(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], list):
        rows = ",\n    ".join(json.dumps(row) for row in value)
        return f"[\n    {rows}\n  ]"
    return json.dumps(value)


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file.

    Raises:
        CalibrationError: naming the file and the first field that is missing, unknown or wrong.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(f"calibration file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CalibrationError(f"calibration file {path} cannot be read: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CalibrationError(
            f"calibration file {path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    return calibration_from_json_dict(document, str(path))


def calibration_from_json_dict(document: Any, source: str = "calibration") -> Calibration:
    """Validate a parsed JSON document; `source` names it in error messages."""

    def fail(field: str, message: str) -> CalibrationError:
        return CalibrationError(f"{source}: field '{field}' {message}")

    if not isinstance(document, dict):
        raise CalibrationError(f"{source}: must hold a JSON object, got {type(document).__name__}")
    if document.get("format") != FORMAT_NAME:
        raise fail("format", f"must be {FORMAT_NAME!r}, got {document.get('format')!r}")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise fail("version", f"must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise fail("version", f"is {version}: written by a newer tpmri; this one reads version {FORMAT_VERSION}")
    if version < 1:
        raise fail("version", f"must be at least 1, got {version}")
    unknown = sorted(set(document) - set(_KEYS))
    if unknown:
        raise CalibrationError(f"{source}: unknown field '{unknown[0]}' (allowed: {', '.join(_KEYS)})")
    missing = [key for key in _KEYS if key not in document]
    if missing:
        raise fail(missing[0], "is missing")

    matrix = _parse_matrix(document["matrix_tir_to_rgb"], fail)
    rgb_size_wh = _parse_size(document["rgb_size"], "rgb_size", fail)
    tir_size_wh = _parse_size(document["tir_size"], "tir_size", fail)
    rms_error_px = document["rms_error_px"]
    if not _is_number(rms_error_px) or not math.isfinite(rms_error_px) or rms_error_px < 0:
        raise fail("rms_error_px", f"must be a finite number >= 0, got {rms_error_px!r}")
    method = document["method"]
    if not isinstance(method, str) or not method.strip():
        raise fail("method", f"must be a non-empty string, got {method!r}")
    point_count = document["point_count"]
    if not isinstance(point_count, int) or isinstance(point_count, bool) or point_count < 4:
        raise fail("point_count", f"must be an integer >= 4, got {point_count!r}")
    created = document["created"]
    if not isinstance(created, str):
        raise fail("created", f"must be an ISO 8601 date string, got {created!r}")
    try:
        datetime.datetime.fromisoformat(created)
    except ValueError:
        raise fail("created", f"must be an ISO 8601 date such as 2025-05-01T14:03:22+00:00, got {created!r}") from None
    return Calibration(matrix, rgb_size_wh, tir_size_wh, float(rms_error_px), method, point_count, created)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_matrix(value: Any, fail: Any) -> np.ndarray:
    if not isinstance(value, list) or len(value) != 3:
        rows = len(value) if isinstance(value, list) else type(value).__name__
        raise fail("matrix_tir_to_rgb", f"must be a 3x3 list of numbers, got {rows} rows")
    for row_index, row in enumerate(value):
        if not isinstance(row, list) or len(row) != 3 or not all(_is_number(v) for v in row):
            raise fail("matrix_tir_to_rgb", f"row {row_index} must be 3 numbers, got {row!r}")
    matrix = np.array(value, dtype=np.float64)
    problem = _matrix_problem(matrix)
    if problem:
        raise fail("matrix_tir_to_rgb", problem)
    return matrix


def _matrix_problem(matrix: np.ndarray) -> str | None:
    matrix = np.asarray(matrix)
    if matrix.shape != (3, 3):
        return f"must be 3x3, got shape {matrix.shape}"
    if not np.isfinite(matrix).all():
        return "must hold finite numbers (found NaN or infinity)"
    if np.linalg.cond(matrix) > MAX_CONDITION_NUMBER:
        return "is not invertible (singular or nearly so)"
    return None


def _parse_size(value: Any, field: str, fail: Any) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or min(value) <= 0
    ):
        raise fail(field, f"must be [width, height] with two positive integers, got {value!r}")
    return int(value[0]), int(value[1])

"""The versioned calibration file: round trip, and one clear error per problem naming file and field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tpmri_calibration.calibration_file import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Calibration,
    load_calibration,
    now_iso,
    save_calibration,
)
from tpmri_calibration.errors import CalibrationError

MATRIX = np.array([[2.01, 0.02, 11.5], [-0.01, 1.99, 8.2], [1e-5, 0.0, 1.0]])


def good_document() -> dict:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "matrix_tir_to_rgb": MATRIX.tolist(),
        "rgb_size": [640, 480],
        "tir_size": [320, 256],
        "rms_error_px": 0.42,
        "method": "chessboard 9x6, 5 image pairs",
        "point_count": 270,
        "created": "2025-05-01T14:03:22+00:00",
    }


def test_saved_file_loads_back_identically(tmp_path) -> None:
    calibration = Calibration(MATRIX, (640, 480), (320, 256), 0.42, "point pairs", 12, now_iso())
    path = save_calibration(calibration, tmp_path / "sub" / "calibration.json")
    loaded = load_calibration(path)
    np.testing.assert_array_equal(loaded.matrix_tir_to_rgb, MATRIX)
    assert (loaded.rgb_size_wh, loaded.tir_size_wh) == ((640, 480), (320, 256))
    assert (loaded.rms_error_px, loaded.method, loaded.point_count, loaded.created) == (
        0.42, "point pairs", 12, calibration.created,
    )
    assert json.loads(path.read_text())["version"] == FORMAT_VERSION


def _with(**changes) -> dict:
    document = good_document()
    for key, value in changes.items():
        if value is ...:
            del document[key]
        else:
            document[key] = value
    return document


@pytest.mark.parametrize(
    "document, message",
    [
        (_with(matrix_tir_to_rgb=[[1, 0], [0, 1]]), "field 'matrix_tir_to_rgb' must be a 3x3 list of numbers, got 2 rows"),
        (_with(matrix_tir_to_rgb=[[1, 0, 0], [0, 1, 0], [0, 0, "x"]]), "field 'matrix_tir_to_rgb' row 2 must be 3 numbers"),
        (_with(matrix_tir_to_rgb=[[1, 0, 0], [0, 1, 0], [0, 0, 1e400]]), "field 'matrix_tir_to_rgb' must hold finite numbers"),
        (_with(matrix_tir_to_rgb=[[1, 2, 3], [2, 4, 6], [0, 0, 1]]), "field 'matrix_tir_to_rgb' is not invertible"),
        (_with(rgb_size=[640, 0]), "field 'rgb_size' must be \\[width, height\\] with two positive integers"),
        (_with(tir_size=[320.5, 256]), "field 'tir_size' must be \\[width, height\\]"),
        (_with(tir_size=...), "field 'tir_size' is missing"),
        (_with(rms_error_px=-1), "field 'rms_error_px' must be a finite number >= 0"),
        (_with(method=""), "field 'method' must be a non-empty string"),
        (_with(point_count=3), "field 'point_count' must be an integer >= 4"),
        (_with(created="yesterday"), "field 'created' must be an ISO 8601 date"),
        (_with(version=2), "field 'version' is 2: written by a newer tpmri"),
        (_with(version="1"), "field 'version' must be an integer"),
        (_with(format="something"), "field 'format' must be 'tpmri-calibration'"),
        (_with(colour="blue"), "unknown field 'colour'"),
        ([1, 2, 3], "must hold a JSON object, got list"),
    ],
)
def test_bad_files_give_one_clear_error_naming_file_and_field(tmp_path, document, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CalibrationError, match=message) as raised:
        load_calibration(path)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)


def test_unparsable_and_missing_files_name_the_problem(tmp_path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "tpmri-calibration",\n "version": }')
    with pytest.raises(CalibrationError, match=r"broken.json is not valid JSON \(line 2, column"):
        load_calibration(path)
    with pytest.raises(CalibrationError, match="missing.json does not exist"):
        load_calibration(tmp_path / "missing.json")

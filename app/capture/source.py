"""The two source interfaces: a single camera stream, and a source of already-matched pairs.

A `FrameSource` is an iterator of `TimedFrame`s with `open`/`close`:

    with OpenCVCameraSource(0, "rgb") as source:     # open() raises SourceOpenError, naming the camera
        for frame in source:                         # read() until it returns None (end of stream)
            ...

`read()` raises `SourceLost` when a live device stops; a `CaptureThread` turns that into a 'lost'
state and reopens the source with backoff. Live sources (`is_live = True`) pace themselves by
blocking in `read()`; recorded ones return frames as fast as they are asked, stamped with their
recorded times, and whoever plays them paces them (`PairSourceFeed`).

A `PairSource` yields `FramePair`s directly: synthetic scenes, replays of recordings and datasets, and
two recorded files merged by timestamp. Nothing there needs a pairer or a thread per stream.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from types import TracebackType

from tpmri_live.capture.timed_frames import FramePair, TimedFrame


class FrameSource(ABC):
    """One stream of frames (a camera, a video file, an image folder).

    Attributes:
        name: how messages and the status display name it, e.g. "thermal camera /dev/video2 (V4L2)".
        modality: 'rgb' or 'tir'.
        is_live: True when read() blocks until the device delivers (the source paces itself).
        nominal_fps: the rate the source announces, or None when unknown.
    """

    name: str = "source"
    modality: str = "rgb"
    is_live: bool = False
    nominal_fps: float | None = None

    @abstractmethod
    def open(self) -> None:
        """Acquire the device or file; raise SourceOpenError with one clear line when impossible."""

    @abstractmethod
    def read(self) -> TimedFrame | None:
        """The next frame, or None at the end of a recorded stream; raises SourceLost if a device stopped."""

    @abstractmethod
    def close(self) -> None:
        """Release the device or file; safe to call twice and on a source that never opened."""

    def __iter__(self) -> Iterator[TimedFrame]:
        while (frame := self.read()) is not None:
            yield frame

    def __enter__(self) -> FrameSource:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


class PairSource(ABC):
    """A source of matched RGB-T pairs, stamped with their recorded (or generated) times."""

    name: str = "pair source"
    nominal_fps: float | None = None

    @abstractmethod
    def open(self) -> None:
        """Acquire files or generators; raise SourceOpenError (a UserError) when impossible."""

    @abstractmethod
    def read(self) -> FramePair | None:
        """The next pair, or None at the end."""

    @abstractmethod
    def close(self) -> None:
        """Release everything; safe to call twice."""

    def __iter__(self) -> Iterator[FramePair]:
        while (pair := self.read()) is not None:
            yield pair

    def __enter__(self) -> PairSource:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

"""Cameras read through OpenCV: webcams and UVC thermal cores (PureThermal/Lepton, Boson), by index or path.

The backend is chosen per OS (V4L2 on Linux, DirectShow on Windows, AVFoundation on macOS). A thermal
camera is asked for 16-bit Y16: the FOURCC is set to 'Y16 ' *before* CONVERT_RGB is switched off; in
the other order V4L2 keeps converting to 8-bit BGR. With `thermal_format='auto'` a camera that ignores
the request still works, as an 8-bit thermal camera: if the negotiated FOURCC is not Y16, conversion to
BGR is switched back on (raw YUYV bytes would otherwise look like a 16-bit frame); `delivers_16bit` says
which it was.
Frames are stamped with `time.monotonic()` right after `grab()`, before decoding.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Literal

import cv2
import numpy as np

from tpmri_live.capture.errors import SourceLost, SourceOpenError
from tpmri_live.capture.frame_conversion import decode_y16, rgb_view, thermal_images
from tpmri_live.capture.source import FrameSource
from tpmri_live.capture.thermal_gain import AutoGain
from tpmri_live.capture.timed_frames import TimedFrame

ThermalFormat = Literal["auto", "y16", "8bit"]
THERMAL_FORMATS: tuple[str, ...] = ("auto", "y16", "8bit")
# A dead USB camera can block read() for 10 s in V4L2; ask the backend to give up sooner (best effort).
READ_TIMEOUT_MS = 2000


def default_backend(platform: str = sys.platform) -> int:
    """The OpenCV capture API that works best for cameras on this OS."""
    if platform.startswith("linux"):
        return cv2.CAP_V4L2
    if platform.startswith("win"):
        return cv2.CAP_DSHOW
    if platform == "darwin":
        return cv2.CAP_AVFOUNDATION
    return cv2.CAP_ANY


def backend_name(backend: int) -> str:
    names = {cv2.CAP_V4L2: "V4L2", cv2.CAP_DSHOW: "DirectShow", cv2.CAP_AVFOUNDATION: "AVFoundation", cv2.CAP_ANY: "any"}
    return names.get(backend, str(backend))


def y16_fourcc() -> int:
    return cv2.VideoWriter.fourcc("Y", "1", "6", " ")


class OpenCVCameraSource(FrameSource):
    """A camera by index (`0`) or device path (`/dev/video2`), RGB or thermal.

    Args:
        device: camera index or device path.
        modality: 'rgb' or 'tir'.
        size_wh: requested resolution, or None for the camera's default.
        fps: requested frame rate, or None.
        thermal_format: 'y16' (16-bit raw), '8bit', or 'auto' (ask for Y16, accept 8-bit).
        gain: 16-bit -> 8-bit conversion for thermal frames (a fresh AutoGain by default).
        backend: OpenCV capture API; default per OS.
        capture_factory: builds the capture object, `factory(device, backend)`; tests inject a fake.
        clock: time source for frame stamps.
    """

    is_live = True

    def __init__(
        self,
        device: int | str,
        modality: Literal["rgb", "tir"],
        size_wh: tuple[int, int] | None = None,
        fps: float | None = None,
        thermal_format: ThermalFormat = "auto",
        gain: AutoGain | None = None,
        backend: int | None = None,
        capture_factory: Callable[[int | str, int], Any] = cv2.VideoCapture,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if modality not in ("rgb", "tir"):
            raise ValueError(f"modality must be 'rgb' or 'tir', got {modality!r}")
        if thermal_format not in THERMAL_FORMATS:
            raise ValueError(f"thermal_format must be one of {THERMAL_FORMATS}, got {thermal_format!r}")
        self.device = device
        self.modality = modality
        self.size_wh = size_wh
        self.nominal_fps = fps
        self.thermal_format = thermal_format
        self.gain = gain or AutoGain()
        self.backend = default_backend() if backend is None else backend
        self._capture_factory = capture_factory
        self._clock = clock
        self._capture: Any = None
        self._frame_size_wh: tuple[int, int] = (0, 0)
        self._index = 0
        self._pending: TimedFrame | None = None
        kind = "RGB" if modality == "rgb" else "thermal"
        self.name = f"{kind} camera {device} ({backend_name(self.backend)})"
        # Known after open(): whether the thermal camera gives 16-bit frames (auto mode accepts either).
        self.delivers_16bit: bool | None = None

    def open(self) -> None:
        self.close()
        capture = self._capture_factory(self.device, self.backend)
        if capture is None or not capture.isOpened():
            if capture is not None:
                capture.release()
            raise SourceOpenError(
                f"cannot open {self.name}: no camera answers there (check the index or path, that no other "
                "program uses it, and your permission to read it)"
            )
        if self.size_wh is not None:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.size_wh[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size_wh[1])
        if self.nominal_fps is not None:
            capture.set(cv2.CAP_PROP_FPS, self.nominal_fps)
        if self.modality == "tir" and self.thermal_format != "8bit":
            # Order matters: FOURCC first, then stop OpenCV converting to BGR.
            capture.set(cv2.CAP_PROP_FOURCC, y16_fourcc())
            capture.set(cv2.CAP_PROP_CONVERT_RGB, 0)
            negotiated = int(capture.get(cv2.CAP_PROP_FOURCC))
            if negotiated not in (0, y16_fourcc()):
                # The camera kept another format (YUYV, MJPG): its unconverted bytes would pass for Y16,
                # so let OpenCV convert to BGR and take the 8-bit view (refused below in 'y16' mode).
                capture.set(cv2.CAP_PROP_CONVERT_RGB, 1)
        capture.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS)
        self._frame_size_wh = (
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        self._capture = capture
        self.gain.reset()
        # Some device nodes open but never deliver (V4L2 metadata nodes): check with a first frame.
        try:
            first = self._grab()
        except SourceLost:
            self.close()
            raise SourceOpenError(
                f"{self.name} opens but delivers no frames (another node of the same camera may be the video one)"
            ) from None
        if self.modality == "tir":
            size_wh = self._decoded_size_wh(first[1])
            self.delivers_16bit = decode_y16(first[1], size_wh) is not None
            if self.thermal_format == "y16" and not self.delivers_16bit:
                self.close()
                raise SourceOpenError(
                    f"{self.name} does not deliver 16-bit Y16 frames (got {first[1].dtype} {first[1].shape}); "
                    "use --tir-format 8bit or auto"
                )
        self._pending = self._to_timed_frame(*first)

    def read(self) -> TimedFrame:
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        return self._to_timed_frame(*self._grab())

    def _grab(self) -> tuple[float, np.ndarray]:
        """(capture time, undecoded frame); SourceLost when the device does not deliver."""
        if self._capture is None:
            raise SourceLost(f"{self.name} is not open")
        if not self._capture.grab():
            raise SourceLost(f"{self.name} stopped delivering frames")
        t_s = self._clock()
        ok, frame = self._capture.retrieve()
        if not ok or frame is None:
            raise SourceLost(f"{self.name} delivered an empty frame")
        return t_s, frame

    def _decoded_size_wh(self, frame: np.ndarray) -> tuple[int, int]:
        return self._frame_size_wh if min(self._frame_size_wh) > 0 else (frame.shape[1], frame.shape[0])

    def _to_timed_frame(self, t_s: float, frame: np.ndarray) -> TimedFrame:
        frame_index = self._index
        self._index += 1
        if self.modality == "rgb":
            return TimedFrame(rgb_view(frame), t_s, frame_index)
        view, raw = thermal_images(frame, self.gain, self._decoded_size_wh(frame))
        return TimedFrame(view, t_s, frame_index, raw)

    def close(self) -> None:
        self._pending = None
        if self._capture is not None:
            capture, self._capture = self._capture, None
            capture.release()

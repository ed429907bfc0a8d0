"""FLIR Boson and Lepton (PureThermal) cores through flirpy, when it is installed (`pip install .[flir]`).

flirpy finds the camera's video node itself and returns 16-bit frames (Lepton telemetry rows
stripped). It is imported only when such a source is opened, so the rest works without it. Plain
UVC access through `OpenCVCameraSource(..., 'tir', thermal_format='y16')` reads the same cameras
without flirpy.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from tpmri_live.capture.errors import SourceLost, SourceOpenError
from tpmri_live.capture.frame_conversion import thermal_images
from tpmri_live.capture.source import FrameSource
from tpmri_live.capture.thermal_gain import AutoGain
from tpmri_live.capture.timed_frames import TimedFrame

FlirModel = Literal["boson", "lepton"]
FLIR_MODELS: tuple[str, ...] = ("boson", "lepton")


def flirpy_camera_factory(model: FlirModel) -> Callable[[], Any]:
    """A callable building flirpy's camera object for `model`; SourceOpenError when flirpy is missing."""
    module_name, class_name = {"boson": ("flirpy.camera.boson", "Boson"), "lepton": ("flirpy.camera.lepton", "Lepton")}[model]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise SourceOpenError(
            f"FLIR {model} needs flirpy, which is not installed: pip install 'tpmri-live[flir]' "
            "(or read the camera as a UVC device with --tir INDEX --tir-format y16)"
        ) from None
    return getattr(module, class_name)


class FlirSource(FrameSource):
    """A FLIR Boson or Lepton thermal core.

    Args:
        model: 'boson' or 'lepton'.
        device_index: video device index, or None to let flirpy find the camera.
        gain: 16-bit -> 8-bit conversion (a fresh AutoGain by default).
        camera_factory: builds the flirpy camera object (tests inject a fake); default imports flirpy.
        clock: time source for frame stamps.
    """

    modality = "tir"
    is_live = True

    def __init__(
        self,
        model: FlirModel,
        device_index: int | None = None,
        gain: AutoGain | None = None,
        camera_factory: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if model not in FLIR_MODELS:
            raise ValueError(f"model must be one of {FLIR_MODELS}, got {model!r}")
        self.model = model
        self.device_index = device_index
        self.gain = gain or AutoGain()
        self._camera_factory = camera_factory
        self._clock = clock
        self._camera: Any = None
        self._index = 0
        where = "auto-detected" if device_index is None else f"device {device_index}"
        self.name = f"FLIR {model.capitalize()} ({where}, flirpy)"

    def open(self) -> None:
        self.close()
        factory = self._camera_factory or flirpy_camera_factory(self.model)
        try:
            self._camera = factory()
            self._grab()
        except (SourceLost, OSError, RuntimeError, ValueError) as error:
            self.close()
            raise SourceOpenError(f"cannot open {self.name}: {error}") from None
        self.gain.reset()

    def _grab(self) -> np.ndarray:
        if self._camera is None:
            raise SourceLost(f"{self.name} is not open")
        try:
            image = self._camera.grab(self.device_index)
        except (OSError, RuntimeError, ValueError) as error:
            raise SourceLost(f"{self.name}: {error}") from None
        if image is None:
            raise SourceLost(f"{self.name} stopped delivering frames")
        return np.asarray(image)

    def read(self) -> TimedFrame:
        image = self._grab()
        t_s = self._clock()
        view, raw = thermal_images(image, self.gain)
        frame = TimedFrame(view, t_s, self._index, raw)
        self._index += 1
        return frame

    def close(self) -> None:
        if self._camera is not None:
            camera, self._camera = self._camera, None
            try:
                camera.close()
            except (OSError, RuntimeError, AttributeError):
                pass

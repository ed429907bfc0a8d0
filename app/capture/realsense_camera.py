"""Intel RealSense colour stream through pyrealsense2, when it is installed (`pip install .[realsense]`).

Spelled `realsense` (first device) or `realsense:SERIAL` on the command line. We switch the device's
global time on where it supports it: frames are then stamped in the host clock domain, corrected for
USB transfer delay, which is closer to the exposure than the arrival time. Such host-clock timestamps
(milliseconds since the epoch) are moved onto `time.monotonic()`; a device that only gives its own
hardware clock is stamped on arrival instead.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from tpmri_live.capture.errors import SourceLost, SourceOpenError
from tpmri_live.capture.source import FrameSource
from tpmri_live.capture.timed_frames import TimedFrame

WAIT_TIMEOUT_MS = 2000
# A device timestamp further than this from the arrival time is not trusted (wrong domain, clock jump).
MAX_TIMESTAMP_DISAGREEMENT_S = 1.0


def import_pyrealsense2() -> ModuleType:
    try:
        return importlib.import_module("pyrealsense2")
    except ImportError:
        raise SourceOpenError(
            "a RealSense camera needs pyrealsense2, which is not installed: pip install 'tpmri-live[realsense]'"
        ) from None


class RealSenseColorSource(FrameSource):
    """The colour stream of a RealSense camera, RGB order.

    Args:
        serial: device serial number, or None for the first camera found.
        size_wh: colour resolution.
        fps: colour frame rate.
        rs_module: the pyrealsense2 module (tests inject a fake); imported on open by default.
        clock: monotonic time source; wall_clock: the host epoch clock the device's global time follows.
    """

    modality = "rgb"
    is_live = True

    def __init__(
        self,
        serial: str | None = None,
        size_wh: tuple[int, int] = (640, 480),
        fps: int = 30,
        rs_module: ModuleType | Any | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.serial = serial
        self.size_wh = size_wh
        self.nominal_fps = float(fps)
        self._rs = rs_module
        self._clock = clock
        self._wall_clock = wall_clock
        self._pipeline: Any = None
        self._index = 0
        self.name = f"RealSense colour {serial or '(first device)'}"
        # Known after the first frame: whether frames carry host-clock (global or system) timestamps.
        self.uses_device_timestamps: bool | None = None

    def open(self) -> None:
        self.close()
        rs = self._rs = self._rs or import_pyrealsense2()
        pipeline, config = rs.pipeline(), rs.config()
        if self.serial:
            config.enable_device(self.serial)
        config.enable_stream(rs.stream.color, self.size_wh[0], self.size_wh[1], rs.format.rgb8, int(self.nominal_fps))
        try:
            profile = pipeline.start(config)
        except RuntimeError as error:
            raise SourceOpenError(
                f"cannot open {self.name} at {self.size_wh[0]}x{self.size_wh[1]} {self.nominal_fps:g} fps: {error}"
            ) from None
        for sensor in profile.get_device().query_sensors():
            if sensor.supports(rs.option.global_time_enabled):
                sensor.set_option(rs.option.global_time_enabled, 1)
        self._pipeline = pipeline

    def read(self) -> TimedFrame:
        if self._pipeline is None:
            raise SourceLost(f"{self.name} is not open")
        try:
            frames = self._pipeline.wait_for_frames(WAIT_TIMEOUT_MS)
        except RuntimeError as error:
            raise SourceLost(f"{self.name}: {error}") from None
        arrival_s = self._clock()
        color = frames.get_color_frame()
        if not color:
            raise SourceLost(f"{self.name} delivered a frame set without colour")
        image = np.array(color.get_data(), dtype=np.uint8, copy=True)
        t_s = self.monotonic_time(color.get_timestamp(), color.get_frame_timestamp_domain(), arrival_s)
        frame = TimedFrame(image, t_s, self._index)
        self._index += 1
        return frame

    def monotonic_time(self, timestamp_ms: float, domain: Any, arrival_s: float) -> float:
        """A frame's capture time on the monotonic clock, from its device timestamp where trustworthy."""
        rs = self._rs
        host_domains = (rs.timestamp_domain.global_time, rs.timestamp_domain.system_time)
        if domain in host_domains:
            t_s = timestamp_ms / 1000.0 - (self._wall_clock() - self._clock())
            if abs(t_s - arrival_s) <= MAX_TIMESTAMP_DISAGREEMENT_S:
                self.uses_device_timestamps = True
                return t_s
        self.uses_device_timestamps = False
        return arrival_s

    def close(self) -> None:
        if self._pipeline is not None:
            pipeline, self._pipeline = self._pipeline, None
            try:
                pipeline.stop()
            except RuntimeError:
                pass

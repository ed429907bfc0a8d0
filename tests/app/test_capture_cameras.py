"""Live sources without hardware: a fake cv2.VideoCapture injected into the OpenCV camera source,
fake flirpy and pyrealsense2 objects, and capture threads that lose and regain their camera."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from tpmri_live.capture.capture_thread import Backoff, CaptureState, CaptureThread
from tpmri_live.capture.errors import SourceLost, SourceOpenError
from tpmri_live.capture.feeds import CameraPairFeed
from tpmri_live.capture.flir_camera import FlirSource
from tpmri_live.capture.opencv_camera import OpenCVCameraSource, default_backend, y16_fourcc
from tpmri_live.capture.realsense_camera import RealSenseColorSource
from tpmri_live.capture.source import FrameSource
from tpmri_live.capture.timed_frames import TimedFrame

WIDTH, HEIGHT = 16, 12


class FakeCamera:
    """Shared behaviour of a fake device across the capture objects opened on it.

    Args:
        kind: 'bgr', 'y16', 'y16-bytes' (flat uint8 buffer), 'bgr-ignores-y16' (stays 8-bit BGR) or
            'yuyv-ignores-y16' (keeps YUYV and hands out raw YUYV bytes when not converting).
        fail_after: frames after which the device stops (unplugged), or None.
        failed_opens: how many opens fail after it stopped, before it comes back.
    """

    def __init__(self, kind: str = "bgr", fail_after: int | None = None, failed_opens: int = 0, frame_delay_s: float = 0.0) -> None:
        self.kind = kind
        self.fail_after = fail_after
        self.failed_opens = failed_opens
        self.frame_delay_s = frame_delay_s
        self.delivered = 0
        self.opens = 0
        self.unplugged = False
        self.property_log: list[tuple[int, float]] = []

    def factory(self, device, backend):
        self.opens += 1
        if self.unplugged and self.failed_opens > 0:
            self.failed_opens -= 1
            return FakeVideoCapture(self, opened=False)
        self.unplugged = False
        return FakeVideoCapture(self, opened=True)


class FakeVideoCapture:
    """The parts of cv2.VideoCapture the camera source uses."""

    def __init__(self, camera: FakeCamera, opened: bool) -> None:
        self.camera = camera
        self.opened = opened
        self.properties: dict[int, float] = {cv2.CAP_PROP_FRAME_WIDTH: WIDTH, cv2.CAP_PROP_FRAME_HEIGHT: HEIGHT}

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.camera.property_log.append((prop, value))
        if prop == cv2.CAP_PROP_FOURCC and self.camera.kind == "yuyv-ignores-y16":
            value = cv2.VideoWriter.fourcc(*"YUYV")  # the driver keeps its own format
        self.properties[prop] = value
        return True

    def get(self, prop: int) -> float:
        return self.properties.get(prop, 0.0)

    def grab(self) -> bool:
        camera = self.camera
        if camera.frame_delay_s:
            time.sleep(camera.frame_delay_s)
        if camera.unplugged or (camera.fail_after is not None and camera.delivered >= camera.fail_after):
            if not camera.unplugged and camera.fail_after is not None:
                camera.unplugged, camera.fail_after = True, None
            return False
        camera.delivered += 1
        return True

    def retrieve(self):
        value = self.camera.delivered
        y16_requested = self.properties.get(cv2.CAP_PROP_FOURCC) == y16_fourcc() and self.properties.get(cv2.CAP_PROP_CONVERT_RGB) == 0
        raw = (np.arange(WIDTH * HEIGHT, dtype=np.uint16).reshape(HEIGHT, WIDTH) * 10 + 30000 + value)
        if self.camera.kind == "y16" and y16_requested:
            return True, raw
        if self.camera.kind == "y16-bytes" and y16_requested:
            return True, raw.astype("<u2").view(np.uint8).reshape(1, -1)
        if self.camera.kind == "yuyv-ignores-y16" and self.properties.get(cv2.CAP_PROP_CONVERT_RGB) == 0:
            return True, np.full((HEIGHT, WIDTH, 2), 128, np.uint8)  # raw YUYV bytes: same size as Y16
        frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        frame[..., 0] = value % 256  # blue channel in OpenCV's BGR order
        return True, frame

    def release(self) -> None:
        self.opened = False


def camera_source(camera: FakeCamera, modality: str = "rgb", **kwargs) -> OpenCVCameraSource:
    return OpenCVCameraSource("/dev/video9", modality, capture_factory=camera.factory, backend=cv2.CAP_V4L2, **kwargs)


def test_rgb_camera_frames_are_rgb_order_and_timestamped() -> None:
    ticks = iter(np.arange(100.0, 200.0, 0.5))
    source = camera_source(FakeCamera("bgr"), clock=lambda: float(next(ticks)))
    with source:
        first, second = source.read(), source.read()
    assert first.image.shape == (HEIGHT, WIDTH, 3) and first.image[0, 0, 2] == 1  # blue moved to channel 2
    assert (first.index, second.index) == (0, 1)
    assert second.t_s - first.t_s == pytest.approx(0.5)


def test_y16_fourcc_is_set_before_convert_rgb_and_raw_frames_survive() -> None:
    camera = FakeCamera("y16")
    source = camera_source(camera, "tir", thermal_format="y16")
    with source:
        frame = source.read()
    props = [prop for prop, _ in camera.property_log]
    assert props.index(cv2.CAP_PROP_FOURCC) < props.index(cv2.CAP_PROP_CONVERT_RGB)
    assert frame.raw is not None and frame.raw.dtype == np.uint16 and frame.raw.shape == (HEIGHT, WIDTH)
    assert frame.image.dtype == np.uint8 and frame.image.min() == 0 and frame.image.max() == 255
    assert source.delivers_16bit is True


def test_y16_as_a_flat_byte_buffer_is_decoded() -> None:
    with camera_source(FakeCamera("y16-bytes"), "tir") as source:
        frame = source.read()
    assert frame.raw is not None and frame.raw[0, 1] - frame.raw[0, 0] == 10


def test_camera_ignoring_y16_works_as_8bit_in_auto_mode_and_fails_clearly_in_y16_mode() -> None:
    with camera_source(FakeCamera("bgr-ignores-y16"), "tir", thermal_format="auto") as source:
        frame = source.read()
    assert frame.raw is None and frame.image.shape == (HEIGHT, WIDTH)
    assert source.delivers_16bit is False
    with pytest.raises(SourceOpenError, match="does not deliver 16-bit Y16 frames"):
        camera_source(FakeCamera("bgr-ignores-y16"), "tir", thermal_format="y16").open()


def test_camera_keeping_yuyv_is_read_as_8bit_not_as_fake_y16() -> None:
    camera = FakeCamera("yuyv-ignores-y16")
    with camera_source(camera, "tir") as source:
        frame = source.read()
    assert source.delivers_16bit is False and frame.raw is None and frame.image.shape == (HEIGHT, WIDTH)
    assert (cv2.CAP_PROP_CONVERT_RGB, 1) in camera.property_log
    with pytest.raises(SourceOpenError, match="does not deliver 16-bit"):
        camera_source(FakeCamera("yuyv-ignores-y16"), "tir", thermal_format="y16").open()


def test_camera_that_does_not_open_names_itself() -> None:
    camera = FakeCamera()
    camera.unplugged, camera.failed_opens = True, 99
    with pytest.raises(SourceOpenError, match=r"cannot open RGB camera /dev/video9 \(V4L2\)"):
        camera_source(camera).open()


def test_camera_that_opens_but_delivers_nothing_is_an_open_error() -> None:
    with pytest.raises(SourceOpenError, match="opens but delivers no frames"):
        camera_source(FakeCamera(fail_after=0)).open()


def test_default_backend_per_os() -> None:
    assert default_backend("linux") == cv2.CAP_V4L2
    assert default_backend("win32") == cv2.CAP_DSHOW
    assert default_backend("darwin") == cv2.CAP_AVFOUNDATION


def test_camera_failing_mid_stream_is_reported_lost_and_recovers() -> None:
    camera = FakeCamera("y16", fail_after=5, failed_opens=2, frame_delay_s=0.002)
    thread = CaptureThread(camera_source(camera, "tir"), backoff=Backoff(initial_s=0.01, max_s=0.02))
    seen_states: list[CaptureState] = []
    watcher_stop = threading.Event()

    def watch() -> None:
        while not watcher_stop.is_set():
            state = thread.state
            if not seen_states or seen_states[-1] is not state:
                seen_states.append(state)
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    thread.start()
    try:
        deadline = time.monotonic() + 5.0
        while thread.status().reconnects < 1 or thread.status().frames < 10:
            assert time.monotonic() < deadline, f"no recovery: {thread.status()}"
            time.sleep(0.005)
        status = thread.status()
        assert status.state is CaptureState.LIVE and "cannot open thermal camera" in status.last_error
        assert camera.opens == 1 + 2 + 1  # first open, two failed reopenings, the good one
        latest = thread.latest()
        assert latest is not None and latest.raw is not None
        assert len(thread.recent()) <= 4
    finally:
        watcher_stop.set()
        started = time.monotonic()
        assert thread.close() is True
        assert time.monotonic() - started < 1.0
    assert CaptureState.LOST in seen_states and CaptureState.RECONNECTING in seen_states
    assert seen_states.index(CaptureState.LOST) < seen_states.index(CaptureState.RECONNECTING)
    assert thread.state is CaptureState.CLOSED


class StuckSource(FrameSource):
    """A source whose driver blocks for a long time in read()."""

    is_live = True
    name = "stuck camera"

    def __init__(self, block_s: float) -> None:
        self.block_s = block_s
        self.closed = threading.Event()

    def open(self) -> None:
        pass

    def read(self) -> TimedFrame:
        time.sleep(self.block_s)
        return TimedFrame(np.zeros((2, 2), np.uint8), time.monotonic(), 0)

    def close(self) -> None:
        self.closed.set()


def test_closing_stops_a_reading_thread_within_one_second() -> None:
    thread = CaptureThread(camera_source(FakeCamera(frame_delay_s=0.03)))
    thread.start()
    assert thread.wait_for_state(CaptureState.LIVE, timeout_s=2.0)
    started = time.monotonic()
    assert thread.close() is True
    assert time.monotonic() - started < 1.0
    assert thread.state is CaptureState.CLOSED


def test_closing_a_thread_blocked_in_its_driver_returns_within_one_second() -> None:
    source = StuckSource(block_s=1.6)
    thread = CaptureThread(source)
    thread.start()
    time.sleep(0.05)
    started = time.monotonic()
    assert thread.close() is False  # reported, not hung
    assert time.monotonic() - started < 1.1
    assert source.closed.wait(2.0)  # released by the thread itself once the driver returned


class TickingSource(FrameSource):
    """A live source delivering frames every `period_s`, optionally dying after `fail_after` frames."""

    is_live = True

    def __init__(self, modality: str, period_s: float, fail_after: int | None = None) -> None:
        self.modality = modality
        self.name = f"fake {modality}"
        self.period_s = period_s
        self.fail_after = fail_after
        self.index = 0
        self.dead = False

    def open(self) -> None:
        if self.dead:
            raise SourceOpenError(f"{self.name} is unplugged")

    def read(self) -> TimedFrame:
        time.sleep(self.period_s)
        if self.fail_after is not None and self.index >= self.fail_after:
            self.dead = True
            raise SourceLost(f"{self.name} stopped")
        self.index += 1
        image = np.zeros((24, 32, 3) if self.modality == "rgb" else (12, 16), np.uint8)
        return TimedFrame(image, time.monotonic(), self.index - 1)

    def close(self) -> None:
        pass


def test_camera_feed_pairs_registers_and_survives_one_camera_dying() -> None:
    rgb, tir = TickingSource("rgb", 0.01), TickingSource("tir", 0.03, fail_after=15)
    feed = CameraPairFeed(rgb, tir, backoff_factory=lambda: Backoff(initial_s=0.01, max_s=0.05))
    feed.start()
    try:
        item = feed.wait_latest(timeout_s=2.0)
        assert item is not None
        assert item.frame.tir.shape == item.frame.rgb.shape[:2] == (24, 32)  # thermal stretched onto the RGB grid
        assert item.skew_s <= feed.status().max_skew_s
        assert item.frame.t_rgb == item.raw.rgb.t_s and item.frame.t_tir == item.raw.tir.t_s
        deadline = time.monotonic() + 3.0
        while feed.status().tir.state not in (CaptureState.LOST, CaptureState.RECONNECTING):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        frames_before = feed.status().rgb.frames
        time.sleep(0.1)
        status = feed.status()
        assert status.rgb.state is CaptureState.LIVE and status.rgb.frames > frames_before
        assert status.tir.last_error
    finally:
        started = time.monotonic()
        assert feed.close() is True
        assert time.monotonic() - started < 1.0


def test_flir_source_through_a_fake_flirpy_camera() -> None:
    frames = [np.full((4, 5), 3000 + k, np.uint16) for k in range(3)] + [None]

    class FakeBoson:
        def grab(self, device_id):
            return frames.pop(0)

        def close(self):
            pass

    source = FlirSource("boson", device_index=2, camera_factory=FakeBoson)
    source.open()  # grabs one frame to check the camera
    frame = source.read()
    assert frame.raw is not None and frame.raw[0, 0] == 3001 and frame.image.dtype == np.uint8
    source.read()
    with pytest.raises(SourceLost):
        source.read()
    source.close()


def test_flir_without_flirpy_says_how_to_install(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_flirpy(name, *args, **kwargs):
        if name.startswith("flirpy"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_flirpy)
    with pytest.raises(SourceOpenError, match=r"pip install 'tpmri-live\[flir\]'"):
        FlirSource("lepton").open()


def fake_pyrealsense2(timestamp_ms: float, domain: str):
    """Just enough of pyrealsense2 for one colour stream."""
    domains = SimpleNamespace(global_time="global", system_time="system", hardware_clock="hardware")
    colour = SimpleNamespace(
        get_data=lambda: np.zeros((4, 6, 3), np.uint8),
        get_timestamp=lambda: timestamp_ms,
        get_frame_timestamp_domain=lambda: getattr(domains, domain),
    )
    sensor = SimpleNamespace(supports=lambda option: True, set_option=lambda option, value: options.append((option, value)))
    options: list = []
    profile = SimpleNamespace(get_device=lambda: SimpleNamespace(query_sensors=lambda: [sensor]))
    pipeline = SimpleNamespace(
        start=lambda config: profile,
        wait_for_frames=lambda timeout_ms: SimpleNamespace(get_color_frame=lambda: colour),
        stop=lambda: None,
    )
    config = SimpleNamespace(enable_device=lambda serial: None, enable_stream=lambda *args: None)
    module = SimpleNamespace(
        pipeline=lambda: pipeline,
        config=lambda: config,
        stream=SimpleNamespace(color="color"),
        format=SimpleNamespace(rgb8="rgb8"),
        option=SimpleNamespace(global_time_enabled="global_time_enabled"),
        timestamp_domain=domains,
    )
    return module, options


def test_realsense_global_timestamps_move_onto_the_monotonic_clock() -> None:
    # Host epoch clock reads 1000.0 s while the monotonic clock reads 50.0 s; the frame was exposed at 999.98.
    module, options = fake_pyrealsense2(999_980.0, "global_time")
    source = RealSenseColorSource("123", rs_module=module, clock=lambda: 50.0, wall_clock=lambda: 1000.0)
    source.open()
    frame = source.read()
    assert options == [("global_time_enabled", 1)]
    assert frame.t_s == pytest.approx(49.98)
    assert source.uses_device_timestamps is True and frame.image.shape == (4, 6, 3)


def test_realsense_hardware_clock_falls_back_to_arrival_time() -> None:
    module, _ = fake_pyrealsense2(123.0, "hardware_clock")
    source = RealSenseColorSource(rs_module=module, clock=lambda: 50.0, wall_clock=lambda: 1000.0)
    source.open()
    assert source.read().t_s == 50.0 and source.uses_device_timestamps is False

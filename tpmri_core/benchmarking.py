"""Tracking speed: whole steps (crop + model + decode) on real-sized frames, as a user's loop runs them.

OpenCV's CSRT (when opencv-contrib is installed) is timed on the same frames in the same run, so the two
figures share the machine's state: a shared machine's speed drifts between runs by more than 10 %.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.tracker import Tracker


@dataclass(frozen=True)
class SpeedReport:
    """One bench run. `threads`: the CPU threads the model ran on (None on a GPU); `csrt_fps`: OpenCV CSRT
    on the RGB view of the same frames (None without opencv-contrib)."""

    variant: str
    device: str
    backend: str
    threads: int | None
    mirror_average: bool
    frames: int
    frame_wh: tuple[int, int]
    fps: float
    median_ms: float
    p90_ms: float
    csrt_fps: float | None = None

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def moving_target_frames(count: int, width: int, height: int, seed: int = 0) -> list[RGBTFrame]:
    """Textured frames with a bright square drifting across them (content does not change the cost)."""
    rng = np.random.default_rng(seed)
    background_rgb = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    background_tir = rng.integers(0, 120, (height, width), dtype=np.uint8)
    frames = []
    for index in range(count):
        rgb, tir = background_rgb.copy(), background_tir.copy()
        x = int(width * 0.3 + 2 * index) % (width - 60)
        y = int(height * 0.4 + index) % (height - 60)
        rgb[y : y + 50, x : x + 40] = (220, 60, 40)
        tir[y : y + 50, x : x + 40] = 230
        frames.append(RGBTFrame(rgb=rgb, tir=tir, index=index))
    return frames


def csrt_available() -> bool:
    import cv2

    return hasattr(cv2, "TrackerCSRT")


def measure_csrt_speed(frames: list[RGBTFrame], box_xywh: tuple[float, float, float, float], num_frames: int) -> float:
    """CSRT's updates per second on the RGB views of `frames` (cycled), after initialising on the first."""
    import cv2

    images = [np.ascontiguousarray(frame.rgb[..., ::-1]) for frame in frames]
    tracker = cv2.TrackerCSRT.create()
    tracker.init(images[0], tuple(int(round(v)) for v in box_xywh))
    start = time.perf_counter()
    for index in range(num_frames):
        tracker.update(images[(index + 1) % len(images)])
    return num_frames / (time.perf_counter() - start)


def measure_tracking_speed(
    tracker: Tracker,
    variant: str,
    num_frames: int = 200,
    frame_wh: tuple[int, int] = (640, 480),
    warmup: int = 10,
    with_csrt: bool = True,
) -> SpeedReport:
    """Time `num_frames` tracking steps after `warmup` untimed ones (and CSRT's, when `with_csrt` and installed)."""
    frames = moving_target_frames(min(num_frames + warmup, 64), *frame_wh)
    init_box = (frame_wh[0] * 0.3, frame_wh[1] * 0.4, 40, 50)
    tracker.initialize(frames[0], init_box)
    synchronize = torch.cuda.synchronize if tracker.device.type == "cuda" else (lambda: None)
    for index in range(warmup):
        tracker.track(frames[index % len(frames)])
    latencies = []
    synchronize()
    start = time.perf_counter()
    for index in range(num_frames):
        step_start = time.perf_counter()
        tracker.track(frames[index % len(frames)])
        synchronize()
        latencies.append(time.perf_counter() - step_start)
    elapsed = time.perf_counter() - start
    latencies_ms = np.array(latencies) * 1e3
    csrt_fps = measure_csrt_speed(frames, init_box, num_frames) if with_csrt and csrt_available() else None
    return SpeedReport(
        variant=variant,
        device=str(tracker.device),
        backend=tracker.backend.name,
        threads=tracker.backend.threads,
        mirror_average=tracker.mirror_average,
        frames=num_frames,
        frame_wh=frame_wh,
        fps=num_frames / elapsed,
        median_ms=float(np.median(latencies_ms)),
        p90_ms=float(np.percentile(latencies_ms, 90)),
        csrt_fps=csrt_fps,
    )

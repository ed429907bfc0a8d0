"""Tracking speed: whole steps (crop + model + decode) on real-sized frames, as a user's loop runs them."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.tracker import Tracker


@dataclass(frozen=True)
class SpeedReport:
    variant: str
    device: str
    frames: int
    frame_wh: tuple[int, int]
    fps: float
    median_ms: float
    p90_ms: float

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


def measure_tracking_speed(
    tracker: Tracker, variant: str, num_frames: int = 200, frame_wh: tuple[int, int] = (640, 480), warmup: int = 10
) -> SpeedReport:
    """Time `num_frames` tracking steps after `warmup` untimed ones."""
    frames = moving_target_frames(min(num_frames + warmup, 64), *frame_wh)
    tracker.initialize(frames[0], (frame_wh[0] * 0.3, frame_wh[1] * 0.4, 40, 50))
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
    return SpeedReport(
        variant=variant,
        device=str(tracker.device),
        frames=num_frames,
        frame_wh=frame_wh,
        fps=num_frames / elapsed,
        median_ms=float(np.median(latencies_ms)),
        p90_ms=float(np.percentile(latencies_ms, 90)),
    )

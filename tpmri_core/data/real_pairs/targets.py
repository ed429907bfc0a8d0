"""Finding the people and vehicles of a thermal picture: warm blobs of a plausible size and shape.

A person or a running car is warmer than what surrounds it, so it stands out of a white top-hat of the
thermal band (the image minus its morphological opening with a disc larger than any target). Strong
pixels seed a target and a lower threshold grows it to the cooler parts (legs, clothing, the car's body:
hysteresis), and components that touch the border, cover most of their box poorly, are too small, too large
or implausibly thin are rejected. The result is a candidate list for a person to check by eye, not a detector.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_WIDTH_PX = 320
"""Targets are searched on a copy of this width (fast, and the kernel sizes below are meant for it)."""


@dataclass(frozen=True)
class ThermalTarget:
    """One warm object of a thermal picture, in that picture's pixels.

    Args:
        box_xywh: its box (left, top, width, height).
        mask: (H, W) bool, the pixels of the object (the whole picture's grid).
        contrast: mean top-hat level inside the mask, in 8-bit grey levels (how much warmer it is).
        kind: 'person' (tall), 'vehicle' (wide) or 'object' (neither), from the box's shape only.
    """

    box_xywh: tuple[float, float, float, float]
    mask: np.ndarray
    contrast: float
    kind: str

    @property
    def area_px(self) -> int:
        return int(self.mask.sum())

    @property
    def center_xy(self) -> tuple[float, float]:
        x, y, w, h = self.box_xywh
        return x + w / 2, y + h / 2


def _kind(width: float, height: float) -> str:
    if height >= 1.3 * width:
        return "person"
    if width >= 1.15 * height:
        return "vehicle"
    return "object"


def find_targets(
    tir: np.ndarray,
    min_side_px: float = 12.0,
    max_area_fraction: float = 0.12,
    min_contrast: float = 45.0,
    border_margin_px: int = 4,
    min_fill: float = 0.3,
    max_elongation: float = 5.0,
    black_hot: bool = False,
) -> list[ThermalTarget]:
    """Warm objects of a thermal picture, the most contrasted first.

    Args:
        tir: (H, W) uint8 thermal picture, white-hot unless `black_hot`.
        min_side_px: smallest box side kept, in the picture's pixels.
        max_area_fraction: largest object area kept, as a fraction of the picture.
        min_contrast: least mean top-hat level (8-bit grey levels) kept.
        border_margin_px: objects whose box comes this close to the border are rejected (cut off by the frame).
        min_fill: least fraction of its box the object must cover (rejects lines, wires and road edges).
        max_elongation: largest ratio of the box's longer side to its shorter.
        black_hot: the picture shows hot as dark.
    """
    if tir.ndim != 2 or tir.dtype != np.uint8:
        raise ValueError(f"tir must be (H, W) uint8, got {tir.shape} {tir.dtype}")
    height, width = tir.shape
    image = 255 - tir if black_hot else tir
    scale = WORK_WIDTH_PX / width
    small = cv2.resize(image, (WORK_WIDTH_PX, max(8, round(height * scale))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (3, 3), 0)
    disc = 2 * (min(small.shape) // 6) + 1
    tophat = cv2.morphologyEx(small, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (disc, disc)))
    rules = _ShapeRules(
        min_side=min_side_px * scale,
        max_area=max_area_fraction * small.size,
        margin=border_margin_px * scale,
        min_fill=min_fill,
        max_elongation=max_elongation,
        min_contrast=min_contrast,
    )
    top = float(np.percentile(tophat, 99.5))
    levels = sorted({max(0.8 * min_contrast, top * f) for f in THRESHOLD_FRACTIONS})
    candidates = [c for level_index, level in enumerate(levels) for c in _components(tophat, level, level_index, rules)]
    chosen: list[_Candidate] = []
    # Largest first (lowest threshold): a component that holds two or more separate objects at a higher
    # threshold is a group of them and gives way; otherwise it is the fullest extent of one object and wins.
    for candidate in sorted(candidates, key=lambda c: c.level_index):
        inside = [
            sum(1 for other in candidates if other.level_index == level and candidate.holds(other))
            for level in range(candidate.level_index + 1, len(levels))
        ]
        if max(inside, default=0) >= 2:
            continue
        if any(candidate.overlaps(other) for other in chosen):
            continue
        chosen.append(candidate)
    targets = []
    for candidate in chosen:
        mask = cv2.resize(candidate.mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
        ys, xs = np.nonzero(mask)
        if len(xs) == 0:
            continue
        box = (float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))
        targets.append(ThermalTarget(box, mask, candidate.contrast, _kind(box[2], box[3])))
    targets.sort(key=lambda target: -target.contrast * np.sqrt(target.area_px))
    return targets


THRESHOLD_FRACTIONS: tuple[float, ...] = (0.3, 0.42, 0.56, 0.72, 0.9)
"""Top-hat thresholds tried, as fractions of its 99.5th percentile: low ones reach a person's cooler
clothing, high ones split people walking side by side."""


@dataclass(frozen=True)
class _ShapeRules:
    min_side: float
    max_area: float
    margin: float
    min_fill: float
    max_elongation: float
    min_contrast: float


@dataclass(frozen=True, eq=False)
class _Candidate:
    mask: np.ndarray
    box_xywh: tuple[int, int, int, int]
    contrast: float
    level_index: int

    def holds(self, other: "_Candidate") -> bool:
        x, y, w, h = other.box_xywh
        return bool(self.mask[y + h // 2, x + w // 2])

    def overlaps(self, other: "_Candidate") -> bool:
        return bool((self.mask & other.mask).any())


def _components(tophat: np.ndarray, level: float, level_index: int, rules: _ShapeRules) -> list[_Candidate]:
    binary = cv2.morphologyEx((tophat >= level).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    rows, cols = tophat.shape
    found = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if x <= rules.margin or y <= rules.margin or x + w >= cols - rules.margin or y + h >= rows - rules.margin:
            continue
        if min(w, h) < rules.min_side or area > rules.max_area:
            continue
        if area < rules.min_fill * w * h or max(w, h) > rules.max_elongation * min(w, h):
            continue
        mask = labels == label
        contrast = float(tophat[mask].mean())
        if contrast >= rules.min_contrast:
            found.append(_Candidate(mask, (x, y, w, h), contrast, level_index))
    return found

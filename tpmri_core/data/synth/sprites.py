"""Pre-rendered target and occluder poses: premultiplied colour and heat at several resolutions.

Rendering once per sequence and only warping per frame keeps the generator fast.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from tpmri_core.data.synth.designs import Design
from tpmri_core.data.synth.shapes import DRAWERS

_MIN_LEVEL_SIDE = 10


@dataclass(frozen=True)
class SpriteLevel:
    """Args:
    rgba: (h, w, 4) float32: RGB premultiplied by alpha (0..255), then alpha (0..1).
    heat: (h, w, 2) float32: apparent temperature in kelvin times alpha, then alpha.
    scale_xy: this level's pixels per level-0 pixel along x and y (halving rounds down).
    """

    rgba: np.ndarray
    heat: np.ndarray
    scale_xy: tuple[float, float]


@dataclass(frozen=True)
class SpritePose:
    """Args:
    levels: the pose from full canonical resolution down, halving each time.
    box_xyxy: tight box (alpha >= 0.5) in level-0 pixel-edge coordinates.
    """

    levels: tuple[SpriteLevel, ...]
    box_xyxy: tuple[float, float, float, float]

    def level_for(self, frame_px_per_sprite_px: float) -> SpriteLevel:
        """The smallest level that still has at least one pixel per output pixel (no upsampling blur)."""
        chosen = self.levels[0]
        for level in self.levels[1:]:
            if min(level.scale_xy) < frame_px_per_sprite_px:
                break
            chosen = level
        return chosen


@dataclass(frozen=True)
class Sprite:
    """Args:
    poses: one per phase of the motion cycle.
    anchor_xy: mean centre of the poses' tight boxes (level-0 pixel-centre coordinates): placed at the
        trajectory point.
    nominal_size: mean longer side of the tight boxes in level-0 pixels: placed at the trajectory size.
    lights: (N, 6) the lamps it carries (vehicle head and tail lights at night): x, y in level-0 pixel
        coordinates, radius in level-0 pixels, then the glare's RGB in 8-bit levels at its peak.
    """

    poses: tuple[SpritePose, ...]
    anchor_xy: tuple[float, float]
    nominal_size: float
    lights: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 6)))

    def pose_at(self, phase: float) -> SpritePose:
        return self.poses[int(phase * len(self.poses)) % len(self.poses)]


def _core_map(mask_u8: np.ndarray) -> np.ndarray:
    """0 at a part's outline rising to 1 in its thickest core: for shading and body warmth."""
    distance = cv2.distanceTransform((mask_u8 > 127).astype(np.uint8), cv2.DIST_L2, 3)
    return np.clip(distance / (0.6 * float(distance.max()) + 1e-3), 0.0, 1.0)


def _hot_spot_map(design: Design) -> np.ndarray:
    width, height = design.canvas_wh
    heat = np.zeros((height, width), np.float32)
    if len(design.hot_spots) == 0:
        return heat
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    longer = float(max(width, height))
    for x, y, radius, kelvin in design.hot_spots:
        r_px = max(radius * longer, 1.0)
        heat += np.float32(kelvin) * np.exp(-((xs - x * width) ** 2 + (ys - y * height) ** 2) / (2 * r_px**2)).astype(
            np.float32
        )
    return heat


def _render_pose(
    design: Design, phase: float, hot_spots: np.ndarray, light: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    width, height = design.canvas_wh
    rgb = np.zeros((height, width, 3), np.float32)
    alpha = np.zeros((height, width), np.float32)
    kelvin = np.zeros((height, width), np.float32)
    for part, mask_u8 in DRAWERS[design.kind](design.genes, phase, design.canvas_wh):
        if not mask_u8.any():
            continue
        style = design.parts[part]
        coverage = mask_u8.astype(np.float32) / 255.0
        core = _core_map(mask_u8)
        if part in design.emissive_parts:
            shaded = style.texture / np.maximum(light, 0.5)[:, :, None]  # own light: neither shaded nor dimmed
        else:
            shaded = style.texture * ((0.7 + 0.3 * core) * design.light_level)[:, :, None]
        rgb += (shaded - rgb) * coverage[:, :, None]
        kelvin += (style.apparent_k + style.core_k * core - kelvin) * coverage
        alpha += (1.0 - alpha) * coverage
    rgb *= light[:, :, None]
    kelvin += (hot_spots + design.heat_detail) * (alpha > 0)
    # Heat diffuses: soften the temperature inside the outline without pulling in the empty canvas.
    inside = alpha > 0.01
    fill = float(kelvin[inside].mean()) if inside.any() else 0.0
    kelvin = cv2.GaussianBlur(np.where(inside, kelvin, fill).astype(np.float32), (0, 0), 1.2)
    return np.clip(rgb, 0, 255), alpha, kelvin


def _levels(rgba: np.ndarray, heat: np.ndarray) -> tuple[SpriteLevel, ...]:
    levels = [SpriteLevel(rgba=rgba, heat=heat, scale_xy=(1.0, 1.0))]
    while min(levels[-1].rgba.shape[:2]) >= 2 * _MIN_LEVEL_SIDE:
        previous = levels[-1]
        size = (max(1, previous.rgba.shape[1] // 2), max(1, previous.rgba.shape[0] // 2))
        levels.append(
            SpriteLevel(
                rgba=cv2.resize(previous.rgba, size, interpolation=cv2.INTER_AREA),
                heat=cv2.resize(previous.heat, size, interpolation=cv2.INTER_AREA),
                scale_xy=(size[0] / rgba.shape[1], size[1] / rgba.shape[0]),
            )
        )
    return tuple(levels)


def _tight_box(alpha: np.ndarray) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(alpha >= 0.5)
    if len(xs) == 0:
        return 0.0, 0.0, float(alpha.shape[1]), float(alpha.shape[0])
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


def render_sprite(design: Design, rng: np.random.Generator) -> Sprite:
    """All poses of a design, with a random light from above and to one side."""
    width, height = design.canvas_wh
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = (1.1 - rng.uniform(0.1, 0.35) * ys / height - rng.uniform(-0.1, 0.1) * xs / width).astype(np.float32)
    hot_spots = _hot_spot_map(design)
    poses = []
    for index in range(design.num_poses):
        rgb, alpha, kelvin = _render_pose(design, index / design.num_poses, hot_spots, light)
        rgba = np.dstack([rgb * alpha[:, :, None], alpha]).astype(np.float32)
        heat = np.dstack([kelvin * alpha, alpha]).astype(np.float32)
        poses.append(SpritePose(levels=_levels(rgba, heat), box_xyxy=_tight_box(alpha)))
    boxes = np.array([pose.box_xyxy for pose in poses])
    anchor = ((boxes[:, 0] + boxes[:, 2]) / 2 - 0.5, (boxes[:, 1] + boxes[:, 3]) / 2 - 0.5)
    nominal = float(np.mean(np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])))
    return Sprite(
        poses=tuple(poses),
        anchor_xy=(float(np.mean(anchor[0])), float(np.mean(anchor[1]))),
        nominal_size=nominal,
        lights=_lights(design, rng),
    )


def _lights(design: Design, rng: np.random.Generator) -> np.ndarray:
    """Each blob of an emissive part as a light that throws glare over its surroundings (first pose)."""
    if not design.emissive_parts:
        return np.zeros((0, 6))
    lights = []
    for part, mask_u8 in DRAWERS[design.kind](design.genes, 0.0, design.canvas_wh):
        if part not in design.emissive_parts:
            continue
        count, _, stats, centroids = cv2.connectedComponentsWithStats((mask_u8 > 127).astype(np.uint8))
        colour = design.parts[part].texture.reshape(-1, 3).mean(axis=0) * rng.uniform(0.4, 1.0)
        for label in range(1, count):
            radius = float(np.sqrt(stats[label, cv2.CC_STAT_AREA] / np.pi))
            lights.append([centroids[label][0], centroids[label][1], radius, *colour])
    return np.array(lights, np.float64).reshape(-1, 6)


def mean_temperature_k(sprite: Sprite) -> float:
    """Area-weighted mean apparent temperature of the first pose."""
    heat = sprite.poses[0].levels[0].heat
    return float(heat[:, :, 0].sum() / max(float(heat[:, :, 1].sum()), 1e-6))


def with_heat_offset(sprite: Sprite, delta_k: float) -> Sprite:
    """The same sprite, uniformly warmer by delta_k (negative: colder)."""
    delta = np.float32(delta_k)

    def shifted(level: SpriteLevel) -> SpriteLevel:
        heat = level.heat.copy()
        heat[:, :, 0] += delta * heat[:, :, 1]
        return dataclasses.replace(level, heat=heat)

    poses = tuple(
        dataclasses.replace(pose, levels=tuple(shifted(level) for level in pose.levels)) for pose in sprite.poses
    )
    return dataclasses.replace(sprite, poses=poses)

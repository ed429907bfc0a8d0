"""Pasting a sprite pose into the RGB frame and into the thermal scene, warping only the region it covers."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tpmri_core.data.synth.sprites import Sprite, SpriteLevel, SpritePose
from tpmri_core.data.synth.thermal_camera import compose_affine


@dataclass(frozen=True)
class Placement:
    """Where and how big a sprite appears in the frame.

    Args:
        centre_xy: frame position (pixel-centre coordinates) of the sprite's anchor.
        size: frame pixels for the sprite's nominal size.
        facing_left: mirror the sprite.
    """

    centre_xy: tuple[float, float]
    size: float
    facing_left: bool


@dataclass(frozen=True)
class Patch:
    """The region of a frame a sprite covered, and its coverage there (for occlusion measurements)."""

    x0: int
    y0: int
    alpha: np.ndarray


def sprite_to_frame(sprite: Sprite, placement: Placement) -> np.ndarray:
    """(2, 3) affine from level-0 sprite pixel-centre coordinates to frame pixel-centre coordinates."""
    k = placement.size / sprite.nominal_size
    flip = -1.0 if placement.facing_left else 1.0
    ax, ay = sprite.anchor_xy
    cx, cy = placement.centre_xy
    return np.array([[flip * k, 0.0, cx - flip * k * ax], [0.0, k, cy - k * ay]])


def _level_to_sprite(level: SpriteLevel) -> np.ndarray:
    """(2, 3) affine from a level's pixel-centre coordinates to level-0 pixel-centre coordinates."""
    sx, sy = level.scale_xy
    return np.array([[1.0 / sx, 0.0, 0.5 / sx - 0.5], [0.0, 1.0 / sy, 0.5 / sy - 0.5]])


def box_in_frame(pose: SpritePose, sprite_to_frame_affine: np.ndarray) -> tuple[float, float, float, float]:
    """The pose's tight box as x, y, w, h in frame pixel-edge coordinates."""
    x0, y0, x1, y1 = pose.box_xyxy
    corners = np.array([[x0 - 0.5, y0 - 0.5, 1.0], [x1 - 0.5, y1 - 0.5, 1.0]]) @ sprite_to_frame_affine.T + 0.5
    left, top = corners.min(axis=0)
    right, bottom = corners.max(axis=0)
    return float(left), float(top), float(right - left), float(bottom - top)


def _warp_into_roi(
    source: np.ndarray, affine: np.ndarray, out_wh: tuple[int, int]
) -> tuple[int, int, np.ndarray] | None:
    """Warp `source` by `affine` into the part of an out_wh image it covers; None if it covers nothing."""
    height, width = source.shape[:2]
    corners = (
        np.array(
            [[-0.5, -0.5, 1.0], [width - 0.5, -0.5, 1.0], [-0.5, height - 0.5, 1.0], [width - 0.5, height - 0.5, 1.0]]
        )
        @ affine.T
    )
    x0 = max(0, int(np.floor(corners[:, 0].min())))
    y0 = max(0, int(np.floor(corners[:, 1].min())))
    x1 = min(out_wh[0], int(np.ceil(corners[:, 0].max())) + 1)
    y1 = min(out_wh[1], int(np.ceil(corners[:, 1].max())) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    shifted = affine.copy()
    shifted[:, 2] -= (x0, y0)
    patch = cv2.warpAffine(
        source, shifted, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    if patch.ndim == 2:
        patch = patch[:, :, None]
    return x0, y0, patch


def motion_blur(patch: np.ndarray, speed_xy: tuple[float, float], exposure: float = 0.5) -> np.ndarray:
    """Smear along the motion by `exposure` of the displacement per frame (half: a typical exposure by day)."""
    length = exposure * float(np.hypot(*speed_xy))
    if length < 1.5:
        return patch
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    centre = size // 2
    direction = np.asarray(speed_xy) / (2.0 * np.hypot(*speed_xy))
    cv2.line(
        kernel,
        (int(round(centre - direction[0] * length)), int(round(centre - direction[1] * length))),
        (int(round(centre + direction[0] * length)), int(round(centre + direction[1] * length))),
        1.0,
        1,
        cv2.LINE_AA,
    )
    kernel /= kernel.sum()
    blurred = cv2.filter2D(patch, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    return blurred if blurred.ndim == 3 else blurred[:, :, None]


def paste_rgb(
    frame: np.ndarray,
    sprite: Sprite,
    pose: SpritePose,
    placement: Placement,
    speed_xy: tuple[float, float],
    softness_px: float = 0.0,
    exposure: float = 0.5,
) -> Patch | None:
    """Alpha-blend the pose into the uint8 RGB frame in place.

    softness_px blurs the sprite like the background photographs are blurred, so sharpness alone
    does not give the target away.
    """
    to_frame = sprite_to_frame(sprite, placement)
    level = pose.level_for(placement.size / sprite.nominal_size)
    warped = _warp_into_roi(
        level.rgba, compose_affine(to_frame, _level_to_sprite(level)), (frame.shape[1], frame.shape[0])
    )
    if warped is None:
        return None
    x0, y0, patch = warped
    patch = motion_blur(patch, speed_xy, exposure)
    if softness_px > 0.2:
        patch = cv2.GaussianBlur(patch, (0, 0), softness_px)
    height, width = patch.shape[:2]
    region = frame[y0 : y0 + height, x0 : x0 + width]
    alpha = patch[:, :, 3:4]
    blended = region.astype(np.float32) * (1.0 - alpha) + patch[:, :, :3]
    region[:] = np.clip(blended, 0.0, 255.0).astype(np.uint8)
    return Patch(x0=x0, y0=y0, alpha=alpha[:, :, 0])


def paste_heat(
    scene_k: np.ndarray,
    sprite: Sprite,
    pose: SpritePose,
    placement: Placement,
    frame_to_sensor: np.ndarray,
    crossover: float = 0.0,
    surrounding_k: float = 0.0,
) -> None:
    """Blend the pose's apparent temperature into the sensor-resolution scene in place.

    crossover in [0, 1] pulls the sprite's temperature, structure included, towards that of the
    scene behind it (half its local mean `surrounding_k`, half the very pixels behind), so that at 1
    it all but vanishes from the thermal image.
    """
    to_sensor = compose_affine(frame_to_sensor, sprite_to_frame(sprite, placement))
    level = pose.level_for(placement.size / sprite.nominal_size * frame_to_sensor[0, 0])
    warped = _warp_into_roi(
        level.heat, compose_affine(to_sensor, _level_to_sprite(level)), (scene_k.shape[1], scene_k.shape[0])
    )
    if warped is None:
        return
    x0, y0, patch = warped
    height, width = patch.shape[:2]
    region = scene_k[y0 : y0 + height, x0 : x0 + width]
    heat, alpha = patch[:, :, 0], patch[:, :, 1]
    if crossover > 0.0:
        keep = np.float32(1.0 - 0.99 * crossover)
        behind = np.float32(0.5) * (region + np.float32(surrounding_k))
        heat = keep * heat + (1.0 - keep) * behind * alpha
    region *= 1.0 - alpha
    region += heat


def add_glare(frame: np.ndarray, sprite: Sprite, placement: Placement, spread: float = 3.0) -> None:
    """Add the glare of the sprite's lights (Gaussians `spread` times each lamp's size) to the uint8 frame in place."""
    if len(sprite.lights) == 0:
        return
    to_frame = sprite_to_frame(sprite, placement)
    scale = placement.size / sprite.nominal_size
    height, width = frame.shape[:2]
    for x, y, radius, red, green, blue in sprite.lights:
        cx, cy = to_frame @ np.array([x, y, 1.0])
        sigma = max(1.0, spread * radius * scale)
        reach = int(np.ceil(3.0 * sigma))
        x0, x1 = max(0, int(cx) - reach), min(width, int(cx) + reach + 1)
        y0, y1 = max(0, int(cy) - reach), min(height, int(cy) + reach + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))
        glow = blob[:, :, None] * np.float32([red, green, blue])[None, None, :]
        region = frame[y0:y1, x0:x1]
        region[:] = np.clip(region.astype(np.float32) + glow, 0, 255).astype(np.uint8)

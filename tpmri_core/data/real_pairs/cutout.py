"""Cutting a target out of a pair with its thermal mask, and the scene without it (inpainted)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tpmri_core.data.real_pairs.targets import ThermalTarget


@dataclass(frozen=True)
class Sprite:
    """A target cut out of both bands, with a soft alpha, in a small patch.

    Args:
        rgb: (h, w, 3) uint8 patch of the visible image.
        tir: (h, w) uint8 patch of the thermal image.
        alpha: (h, w) float32 in [0, 1], the feathered mask.
        box_in_patch_xywh: the target's box inside the patch (the patch has a margin for the feathering).
    """

    rgb: np.ndarray
    tir: np.ndarray
    alpha: np.ndarray
    box_in_patch_xywh: np.ndarray

    def mirrored(self) -> "Sprite":
        x, y, w, h = self.box_in_patch_xywh
        patch_w = self.alpha.shape[1]
        return Sprite(
            self.rgb[:, ::-1].copy(), self.tir[:, ::-1].copy(), self.alpha[:, ::-1].copy(),
            np.array([patch_w - x - w, y, w, h]),
        )


def _grown_mask(target: ThermalTarget) -> tuple[np.ndarray, int]:
    """The mask dilated by a few pixels (the two bands can be 1-3 px apart, and halos surround warm objects)."""
    _, _, w, h = target.box_xywh
    grow = int(round(2 + 0.06 * max(w, h)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return cv2.dilate(target.mask.astype(np.uint8), kernel) > 0, grow


def cut_sprite(rgb: np.ndarray, tir: np.ndarray, target: ThermalTarget) -> Sprite:
    """The target's pixels in both bands under a feathered version of its grown thermal mask."""
    grown, grow = _grown_mask(target)
    x, y, w, h = (int(v) for v in target.box_xywh)
    margin = 2 * grow + 2
    height, width = tir.shape
    left, top = max(0, x - margin), max(0, y - margin)
    right, bottom = min(width, x + w + margin), min(height, y + h + margin)
    alpha = cv2.GaussianBlur(grown[top:bottom, left:right].astype(np.float32), (0, 0), max(0.8, grow / 2))
    return Sprite(
        rgb[top:bottom, left:right].copy(),
        tir[top:bottom, left:right].copy(),
        np.clip(alpha * 1.2, 0.0, 1.0),
        np.array([x - left, y - top, w, h], dtype=np.float64),
    )


def inpainted_scene(rgb: np.ndarray, tir: np.ndarray, targets: list[ThermalTarget]) -> tuple[np.ndarray, np.ndarray]:
    """Both bands with the given targets painted out (OpenCV's Telea inpainting over their grown masks)."""
    hole = np.zeros(tir.shape, dtype=np.uint8)
    for target in targets:
        grown, _ = _grown_mask(target)
        hole |= cv2.dilate(grown.astype(np.uint8), np.ones((5, 5), np.uint8))
    radius = 5
    rgb_out = cv2.inpaint(np.ascontiguousarray(rgb), hole, radius, cv2.INPAINT_TELEA)
    tir_out = cv2.inpaint(np.ascontiguousarray(tir), hole, radius, cv2.INPAINT_TELEA)
    return rgb_out, tir_out


def paste(
    rgb: np.ndarray, tir: np.ndarray, sprite: Sprite, matrix: np.ndarray
) -> None:
    """Composite the sprite, placed by the 2x3 patch-to-frame `matrix`, over both frames in place."""
    size = (tir.shape[1], tir.shape[0])
    alpha = cv2.warpAffine(sprite.alpha, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0.0)
    region = alpha > 1e-3
    if not region.any():
        return
    sprite_rgb = cv2.warpAffine(sprite.rgb, matrix, size, flags=cv2.INTER_LINEAR).astype(np.float32)
    sprite_tir = cv2.warpAffine(sprite.tir, matrix, size, flags=cv2.INTER_LINEAR).astype(np.float32)
    a = alpha[region]
    rgb[region] = (a[:, None] * sprite_rgb[region] + (1 - a[:, None]) * rgb[region]).round().astype(np.uint8)
    tir[region] = (a * sprite_tir[region] + (1 - a) * tir[region]).round().astype(np.uint8)

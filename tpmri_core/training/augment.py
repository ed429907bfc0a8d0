"""Clip-level augmentation: the same flip for every frame, independent photometric changes per modality,
and whole-modality blackout so that the network (and TMR) must cope with one dead sensor."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from tpmri_core.training.clips import CroppedClip


@dataclass(frozen=True)
class AugmentConfig:
    flip_probability: float = 0.5
    brightness_range: tuple[float, float] = (0.6, 1.4)
    contrast_range: tuple[float, float] = (0.7, 1.3)
    colour_gain_sigma: float = 0.08
    grey_rgb_probability: float = 0.05
    blackout_probability: float = 0.05


def _photometric(images: np.ndarray, rng: np.random.Generator, config: AugmentConfig, colour: bool) -> np.ndarray:
    images = images.astype(np.float32)
    mean = images.mean()
    contrast = rng.uniform(*config.contrast_range)
    brightness = rng.uniform(*config.brightness_range)
    images = (images - mean) * contrast + mean * brightness
    if colour:
        images = images * rng.normal(1.0, config.colour_gain_sigma, size=3).astype(np.float32)
        if rng.random() < config.grey_rgb_probability:
            images = np.repeat(images.mean(axis=-1, keepdims=True), 3, axis=-1)
    return np.clip(images, 0, 255).astype(np.uint8)


def _blackout(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    level = rng.uniform(0, 40)
    noise = rng.normal(0, rng.uniform(1, 8), size=images.shape)
    return np.clip(level + noise, 0, 255).astype(np.uint8)


def augment_clip(clip: CroppedClip, rng: np.random.Generator, config: AugmentConfig) -> CroppedClip:
    template_rgb, template_tir = clip.template_rgb, clip.template_tir
    search_rgb, search_tir = clip.search_rgb, clip.search_tir
    targets = clip.targets_cxcywh.copy()
    rgb_broken, tir_broken = clip.rgb_broken.copy(), clip.tir_broken.copy()
    if rng.random() < config.flip_probability:
        template_rgb, template_tir = template_rgb[:, ::-1], template_tir[:, ::-1]
        search_rgb, search_tir = search_rgb[:, :, ::-1], search_tir[:, :, ::-1]
        targets[:, 0] = 1.0 - targets[:, 0]
    search_rgb = _photometric(search_rgb, rng, config, colour=True)
    search_tir = _photometric(search_tir, rng, config, colour=False)
    blackout = rng.random()
    if blackout < config.blackout_probability:
        search_rgb = _blackout(search_rgb, rng)
        rgb_broken[:] = True
    elif blackout < 2 * config.blackout_probability:
        search_tir = _blackout(search_tir, rng)
        tir_broken[:] = True
    return replace(
        clip,
        template_rgb=np.ascontiguousarray(template_rgb),
        template_tir=np.ascontiguousarray(template_tir),
        search_rgb=np.ascontiguousarray(search_rgb),
        search_tir=np.ascontiguousarray(search_tir),
        targets_cxcywh=targets,
        rgb_broken=rgb_broken,
        tir_broken=tir_broken,
    )

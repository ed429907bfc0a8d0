"""Clip-level augmentation: the same flip for every frame, independent photometric changes per modality,
and a sensor failure (black, or for RGB washed out) starting at a random frame of the clip, so that the
network must find the target in the other modality and TMR sees the moment a sensor goes bad."""

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
    failure_probability: float = 0.15  # per clip, for each modality (never both)


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


def _failed(images: np.ndarray, rng: np.random.Generator, can_wash_out: bool) -> np.ndarray:
    """A dead sensor's frames: near black with noise, or (RGB) nearly saturated with faint structure left."""
    if can_wash_out and rng.random() < 0.5:
        residue = rng.uniform(0.0, 0.2)
        return np.clip(255 - (255 - images.astype(np.float32)) * residue, 0, 255).astype(np.uint8)
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
    failure = rng.random()
    onset = int(rng.integers(0, search_rgb.shape[0]))
    if failure < config.failure_probability:
        search_rgb = search_rgb.copy()
        search_rgb[onset:] = _failed(search_rgb[onset:], rng, can_wash_out=True)
        rgb_broken[onset:] = True
    elif failure < 2 * config.failure_probability:
        search_tir = search_tir.copy()
        search_tir[onset:] = _failed(search_tir[onset:], rng, can_wash_out=False)
        tir_broken[onset:] = True
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

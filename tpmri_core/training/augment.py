"""Clip-level augmentation: the same flip for every frame, independent photometric changes per modality,
a sensor failure (black, or for RGB washed out) starting at a random frame of the clip, so that the
network must find the target in the other modality and TMR sees the moment a sensor goes bad, and
optionally a camera style (see SensorStyle) applied to template and search alike."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
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
    sensor_style_probability: float = 0.0  # per clip: draw a SensorStyle for it (0 keeps the older clip stream)


@dataclass(frozen=True)
class SensorStyle:
    """How one pair of cameras renders a clip, the same for its template and its search frames.

    Real thermal cameras differ in gain curve and polarity (white-hot or black-hot), and both cameras in
    sharpness and noise; the template and search frames of one clip come from the same cameras, so the
    style is drawn once per clip and applied to both, unlike the per-frame photometric jitter.

    Args:
        tir_gamma: exponent of the thermal tone curve on [0, 1] (< 1 lifts dark, > 1 compresses).
        tir_inverted: black-hot polarity (hot is dark).
        rgb_gamma: exponent of the visible tone curve.
        rgb_blur_px / tir_blur_px: Gaussian blur sigma in crop pixels (0: sharp).
        rgb_noise / tir_noise: Gaussian noise sigma in 8-bit levels.
    """

    tir_gamma: float = 1.0
    tir_inverted: bool = False
    rgb_gamma: float = 1.0
    rgb_blur_px: float = 0.0
    tir_blur_px: float = 0.0
    rgb_noise: float = 0.0
    tir_noise: float = 0.0


def sample_sensor_style(rng: np.random.Generator) -> SensorStyle:
    """Broad ranges: the real registered pairs looked at (LLVIP night, RoadScene day and night, TNO) differ
    most in the thermal tone curve (dark, compressed night scenes; bright, high-contrast day foliage; flat grey
    surveillance frames), less in sharpness and noise. None of them is black-hot, but some cameras are, so a
    small share of clips is inverted."""
    return SensorStyle(
        tir_gamma=float(np.exp(rng.uniform(np.log(0.6), np.log(1.7)))),
        tir_inverted=bool(rng.random() < 0.1),
        rgb_gamma=float(np.exp(rng.uniform(np.log(0.7), np.log(1.4)))),
        rgb_blur_px=float(rng.uniform(0.0, 1.2)) if rng.random() < 0.4 else 0.0,
        tir_blur_px=float(rng.uniform(0.0, 1.8)) if rng.random() < 0.5 else 0.0,
        rgb_noise=float(rng.uniform(0.0, 8.0)),
        tir_noise=float(rng.uniform(0.0, 6.0)),
    )


def _styled(images: np.ndarray, colour: bool, gamma: float, inverted: bool, blur_px: float, noise: float,
            rng: np.random.Generator) -> np.ndarray:
    """One modality's images ((..., H, W, 3) if colour, else (..., H, W)) through a camera style."""
    values = (images.astype(np.float32) / 255.0) ** gamma
    if inverted:
        values = 1.0 - values
    values *= 255.0
    if blur_px > 0:
        image_shape = values.shape[-3:] if colour else values.shape[-2:]
        blurred = [cv2.GaussianBlur(image, (0, 0), blur_px) for image in values.reshape(-1, *image_shape)]
        values = np.stack(blurred).reshape(values.shape)
    if noise > 0:
        values = values + rng.normal(0.0, noise, size=values.shape).astype(np.float32)
    return np.clip(values, 0, 255).astype(np.uint8)


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
    if config.sensor_style_probability > 0 and rng.random() < config.sensor_style_probability:
        style = sample_sensor_style(rng)
        rgb_style = (True, style.rgb_gamma, False, style.rgb_blur_px, style.rgb_noise)
        tir_style = (False, style.tir_gamma, style.tir_inverted, style.tir_blur_px, style.tir_noise)
        template_rgb, search_rgb = _styled(template_rgb, *rgb_style, rng), _styled(search_rgb, *rgb_style, rng)
        template_tir, search_tir = _styled(template_tir, *tir_style, rng), _styled(search_tir, *tir_style, rng)
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

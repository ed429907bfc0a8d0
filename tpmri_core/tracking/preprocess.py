"""Image crops -> the network's normalised tensors (ImageNet statistics, thermal grey replicated to 3 channels)."""

from __future__ import annotations

import numpy as np
import torch

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255


def rgb_to_tensor(patch_rgb: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """(H, W, 3) uint8 RGB -> (1, 3, H, W) float32, normalised."""
    normalised = (patch_rgb.astype(np.float32) - IMAGENET_MEAN) / IMAGENET_STD
    return torch.from_numpy(normalised.transpose(2, 0, 1).copy()).unsqueeze(0).to(device)


def tir_to_tensor(patch_tir: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """(H, W) uint8 thermal -> (1, 3, H, W) float32: grey replicated, normalised like RGB (as ViPT does)."""
    grey = patch_tir.astype(np.float32)[None]
    normalised = (grey - IMAGENET_MEAN[:, None, None]) / IMAGENET_STD[:, None, None]
    return torch.from_numpy(normalised).unsqueeze(0).to(device)

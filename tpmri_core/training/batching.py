"""Clips -> batched tensors. Images stay uint8 until they reach the training device: a quarter of float32's
bytes through the loader's shared memory and the host-to-GPU copy, which otherwise limit a fast GPU."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from tpmri_core.tracking.preprocess import IMAGENET_MEAN, IMAGENET_STD
from tpmri_core.training.clips import CroppedClip

_MEAN = torch.from_numpy(IMAGENET_MEAN).view(3, 1, 1)
_STD = torch.from_numpy(IMAGENET_STD).view(3, 1, 1)


@dataclass(frozen=True)
class ClipBatch:
    """uint8 images: template_rgb (B, Ht, Wt, 3), template_tir (B, Ht, Wt); search_rgb (T, B, Hs, Ws, 3),
    search_tir (T, B, Hs, Ws). targets_cxcywh (T, B, 4); *_broken (T, B)."""

    template_rgb: torch.Tensor
    template_tir: torch.Tensor
    search_rgb: torch.Tensor
    search_tir: torch.Tensor
    targets_cxcywh: torch.Tensor
    rgb_broken: torch.Tensor
    tir_broken: torch.Tensor

    def to(self, device: torch.device) -> "ClipBatch":
        return ClipBatch(*(getattr(self, f).to(device, non_blocking=True) for f in self.__dataclass_fields__))

    def pin_memory(self) -> "ClipBatch":
        """Called by DataLoader(pin_memory=True) so that `to(cuda)` can overlap with compute."""
        return ClipBatch(*(getattr(self, f).pin_memory() for f in self.__dataclass_fields__))


def rgb_network_input(images: torch.Tensor) -> torch.Tensor:
    """(..., H, W, 3) uint8 -> (..., 3, H, W) float32 normalised as the tracker does (preprocess.rgb_to_tensor)."""
    channels_first = images.movedim(-1, -3).float()
    return (channels_first - _MEAN.to(images.device)) / _STD.to(images.device)


def tir_network_input(images: torch.Tensor) -> torch.Tensor:
    """(..., H, W) uint8 thermal -> (..., 3, H, W) float32: grey replicated, normalised like RGB."""
    grey = images.unsqueeze(-3).float()
    return (grey - _MEAN.to(images.device)) / _STD.to(images.device)


def collate_clips(clips: Sequence[CroppedClip]) -> ClipBatch:
    def stacked(arrays: list[np.ndarray], axis: int = 0) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(np.stack(arrays, axis=axis)))

    return ClipBatch(
        template_rgb=stacked([c.template_rgb for c in clips]),
        template_tir=stacked([c.template_tir for c in clips]),
        search_rgb=stacked([c.search_rgb for c in clips], axis=1),
        search_tir=stacked([c.search_tir for c in clips], axis=1),
        targets_cxcywh=stacked([c.targets_cxcywh for c in clips], axis=1),
        rgb_broken=stacked([c.rgb_broken for c in clips], axis=1),
        tir_broken=stacked([c.tir_broken for c in clips], axis=1),
    )

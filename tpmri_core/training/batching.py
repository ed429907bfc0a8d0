"""Clips -> batched, normalised tensors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from tpmri_core.tracking.preprocess import IMAGENET_MEAN, IMAGENET_STD
from tpmri_core.training.clips import CroppedClip

_MEAN = torch.from_numpy(IMAGENET_MEAN).view(1, 3, 1, 1)
_STD = torch.from_numpy(IMAGENET_STD).view(1, 3, 1, 1)


@dataclass(frozen=True)
class ClipBatch:
    """template_* (B, 3, Ht, Wt); search_* (T, B, 3, Hs, Ws); targets (T, B, 4); *_broken (T, B)."""

    template_rgb: torch.Tensor
    template_tir: torch.Tensor
    search_rgb: torch.Tensor
    search_tir: torch.Tensor
    targets_cxcywh: torch.Tensor
    rgb_broken: torch.Tensor
    tir_broken: torch.Tensor

    def to(self, device: torch.device) -> "ClipBatch":
        return ClipBatch(*(getattr(self, f).to(device, non_blocking=True) for f in self.__dataclass_fields__))


def _normalise_rgb(images: np.ndarray) -> torch.Tensor:
    tensor = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    return (tensor - _MEAN) / _STD


def _normalise_tir(images: np.ndarray) -> torch.Tensor:
    tensor = torch.from_numpy(images).unsqueeze(1).float().expand(-1, 3, -1, -1)
    return (tensor - _MEAN) / _STD


def collate_clips(clips: Sequence[CroppedClip]) -> ClipBatch:
    length = clips[0].search_rgb.shape[0]
    search_rgb = np.stack([c.search_rgb for c in clips], axis=1)  # (T, B, H, W, 3)
    search_tir = np.stack([c.search_tir for c in clips], axis=1)
    return ClipBatch(
        template_rgb=_normalise_rgb(np.stack([c.template_rgb for c in clips])),
        template_tir=_normalise_tir(np.stack([c.template_tir for c in clips])),
        search_rgb=torch.stack([_normalise_rgb(search_rgb[t]) for t in range(length)]),
        search_tir=torch.stack([_normalise_tir(search_tir[t]) for t in range(length)]),
        targets_cxcywh=torch.from_numpy(np.stack([c.targets_cxcywh for c in clips], axis=1)),
        rgb_broken=torch.from_numpy(np.stack([c.rgb_broken for c in clips], axis=1)),
        tir_broken=torch.from_numpy(np.stack([c.tir_broken for c in clips], axis=1)),
    )

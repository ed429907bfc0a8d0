"""The paper's loss: weighted focal loss on the centre map + 2 x GIoU + 5 x L1 on the box."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torchvision.ops import generalized_box_iou_loss

from tpmri_core.models.head import HeadMaps
from tpmri_core.training.targets import center_cells, gaussian_center_map

FOCAL_WEIGHT = 1.0
GIOU_WEIGHT = 2.0
L1_WEIGHT = 5.0


@dataclass(frozen=True)
class LossTerms:
    total: torch.Tensor
    focal: torch.Tensor
    giou: torch.Tensor
    l1: torch.Tensor


def focal_loss(score_logits: torch.Tensor, target_map: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, normalised by the number of centre cells."""
    probability = score_logits.float().sigmoid().clamp(1e-4, 1 - 1e-4)
    positive = target_map.eq(1).float()
    negative_weight = (1 - target_map) ** 4
    positive_loss = (torch.log(probability) * (1 - probability) ** 2 * positive).sum()
    negative_loss = (torch.log(1 - probability) * probability**2 * negative_weight * (1 - positive)).sum()
    return -(positive_loss + negative_loss) / positive.sum().clamp(min=1)


def box_at_cells(maps: HeadMaps, col: torch.Tensor, row: torch.Tensor) -> torch.Tensor:
    """(B, 4) cx, cy, w, h (crop fractions) predicted at the given cells."""
    height, width = maps.size.shape[-2:]
    batch_index = torch.arange(col.shape[0], device=col.device)
    offset = maps.offset[batch_index, :, row, col].float()
    size = maps.size[batch_index, :, row, col].float()
    return torch.stack([(col + offset[:, 0]) / width, (row + offset[:, 1]) / height, size[:, 0], size[:, 1]], dim=1)


def _cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    half = boxes[:, 2:] / 2
    return torch.cat([boxes[:, :2] - half, boxes[:, :2] + half], dim=1)


def tracking_loss(maps: HeadMaps, target_cxcywh: torch.Tensor) -> LossTerms:
    """Loss for one search frame of a batch. The box is read at the true centre cell (CenterNet style),
    which gives useful box gradients from the first step of training from scratch."""
    map_hw = tuple(maps.score_logits.shape[-2:])
    target_map = gaussian_center_map(target_cxcywh, map_hw)
    col, row = center_cells(target_cxcywh, map_hw)
    predicted = box_at_cells(maps, col, row)
    focal = focal_loss(maps.score_logits, target_map)
    giou = generalized_box_iou_loss(_cxcywh_to_xyxy(predicted), _cxcywh_to_xyxy(target_cxcywh), reduction="mean")
    l1 = (predicted - target_cxcywh).abs().mean()
    total = FOCAL_WEIGHT * focal + GIOU_WEIGHT * giou + L1_WEIGHT * l1
    return LossTerms(total, focal, giou, l1)


def alpha_supervision_loss(alpha: torch.Tensor, rgb_broken: torch.Tensor, tir_broken: torch.Tensor) -> torch.Tensor:
    """Optional pull of TMR's alpha (B, L) towards what the generator knows: 0 (thermal) when an event
    broke RGB, 1 when it broke thermal, 0.5 (no preference) when both are usable.

    Each kind of frame is averaged separately and the three averages are averaged: synthetic data breaks
    RGB about twice as often as thermal, and without the middle target and the balance a constant alpha
    leaning thermal serves the loss almost as well as one that reads the frames (the preference then never
    moves). The loss is a KL divergence, zero when alpha matches its target.

    The paper trains alpha from the tracking loss alone; synthetic data knows which sensor failed, and
    this uses that knowledge (off unless the run asks for it).
    """
    both_usable = ~rgb_broken & ~tir_broken
    only_rgb_broken = rgb_broken & ~tir_broken
    only_tir_broken = tir_broken & ~rgb_broken
    # Written out rather than F.binary_cross_entropy, which refuses to run under CUDA autocast.
    probability = alpha.float().clamp(1e-4, 1 - 1e-4)
    # Masked sums rather than `if frames.any()`: no host-device sync per frame in the training loop.
    kinds = torch.stack([only_rgb_broken, only_tir_broken, both_usable]).float()[:, :, None]  # (3, B, 1)
    divergence = torch.stack([_bernoulli_kl(target, probability) for target in (0.0, 1.0, 0.5)])  # (3, B, L)
    counts = kinds.expand_as(divergence).sum(dim=(1, 2))
    per_kind = (divergence * kinds).sum(dim=(1, 2)) / counts.clamp(min=1)
    present = (counts > 0).float()
    return (per_kind * present).sum() / present.sum().clamp(min=1)


def _bernoulli_kl(target: float, probability: torch.Tensor) -> torch.Tensor:
    """KL(Bernoulli(target) || Bernoulli(probability)), with 0 log 0 = 0."""
    divergence = torch.zeros_like(probability)
    if target > 0:
        divergence = divergence + target * (math.log(target) - probability.log())
    if target < 1:
        divergence = divergence + (1 - target) * (math.log(1 - target) - (1 - probability).log())
    return divergence

"""Efficient Multi-scale Attention (EMA; Ouyang et al., ICASSP 2023), written from its description.

TMR enhances each modality with EMA before measuring its response strength, so that the response
reflects salient structure rather than raw feature energy. EMA splits the channels into groups, encodes
each group along H and W (a 1x1 branch) and with a 3x3 convolution (a second branch), and lets each branch's
globally pooled channel descriptor weight the other branch's spatial map (cross-spatial learning). The
result is a per-pixel gate applied to the input; shape in equals shape out.
"""

from __future__ import annotations

import torch
from torch import nn


class EfficientMultiScaleAttention(nn.Module):
    """EMA gate over a (B, C, H, W) feature map.

    Args:
        channels: C, the number of input channels.
        groups: how many channel groups are gated independently; must divide C.
    """

    def __init__(self, channels: int, groups: int = 4) -> None:
        super().__init__()
        if channels % groups != 0:
            raise ValueError(f"EMA groups ({groups}) must divide channels ({channels})")
        self.groups = groups
        group_channels = channels // groups
        self.conv1x1 = nn.Conv2d(group_channels, group_channels, kernel_size=1)
        self.conv3x3 = nn.Conv2d(group_channels, group_channels, kernel_size=3, padding=1)
        self.norm = nn.GroupNorm(group_channels, group_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, height, width = x.shape
        grouped = x.reshape(batch * self.groups, channels // self.groups, height, width)

        # 1x1 branch: encode along each axis, then gate the group by both directions.
        pooled_h = grouped.mean(dim=3, keepdim=True)  # (BG, c, H, 1)
        pooled_w = grouped.mean(dim=2, keepdim=True).transpose(2, 3)  # (BG, c, W, 1)
        encoded = self.conv1x1(torch.cat([pooled_h, pooled_w], dim=2))
        gate_h, gate_w = torch.split(encoded, [height, width], dim=2)
        branch_1x1 = self.norm(grouped * gate_h.sigmoid() * gate_w.transpose(2, 3).sigmoid())
        # 3x3 branch: local multi-scale context.
        branch_3x3 = self.conv3x3(grouped)

        # Cross-spatial learning: each branch's channel descriptor weights the other's pixels.
        descriptor_1x1 = branch_1x1.mean(dim=(2, 3)).softmax(dim=-1).unsqueeze(1)  # (BG, 1, c)
        descriptor_3x3 = branch_3x3.mean(dim=(2, 3)).softmax(dim=-1).unsqueeze(1)
        pixels_1x1 = branch_1x1.flatten(2)  # (BG, c, HW)
        pixels_3x3 = branch_3x3.flatten(2)
        weights = descriptor_1x1 @ pixels_3x3 + descriptor_3x3 @ pixels_1x1  # (BG, 1, HW)
        gate = weights.reshape(batch * self.groups, 1, height, width).sigmoid()
        return (grouped * gate).reshape(batch, channels, height, width)

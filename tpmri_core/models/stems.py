"""Image -> token stems: the ViT's 16x16 patchify, or a small convolutional stem.

A ViT trained from scratch on little data sees better through a few stride-2 convolutions than through
one 16x16 patchify (Xiao et al., "Early convolutions help transformers see better", NeurIPS 2021), so the
CPU variant, which we train ourselves, uses the convolutional stem; the paper variants keep the patchify so
that MAE / OSTrack / ViPT weights load.
"""

from __future__ import annotations

import torch
from torch import nn


class PatchStem(nn.Module):
    """Non-overlapping patches, one linear projection (the original ViT); any input size divisible by stride."""

    def __init__(self, embed_dim: int, stride: int = 16, in_chans: int = 3) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=stride, stride=stride)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.proj(images).flatten(2).transpose(1, 2)


class ConvStem(nn.Module):
    """Stride-2 3x3 convolutions (BatchNorm, ReLU) doubling the channels, then a 1x1 to the token width.

    Args:
        embed_dim: token width.
        stride: total stride, a power of two (16: four convolutions).
        in_chans: image channels.
        base_channels: channels of the first convolution.
    """

    def __init__(self, embed_dim: int, stride: int = 16, in_chans: int = 3, base_channels: int = 24) -> None:
        super().__init__()
        if stride < 2 or stride & (stride - 1):
            raise ValueError(f"ConvStem stride must be a power of two >= 2, got {stride}")
        layers: list[nn.Module] = []
        channels_in, channels_out = in_chans, base_channels
        for _ in range(stride.bit_length() - 1):
            layers += [
                nn.Conv2d(channels_in, channels_out, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(channels_out),
                nn.ReLU(inplace=True),
            ]
            channels_in, channels_out = channels_out, channels_out * 2
        layers.append(nn.Conv2d(channels_in, embed_dim, kernel_size=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images).flatten(2).transpose(1, 2)


def build_stem(kind: str, embed_dim: int, stride: int, in_chans: int = 3) -> nn.Module:
    if kind == "patch":
        return PatchStem(embed_dim, stride, in_chans)
    if kind == "conv":
        return ConvStem(embed_dim, stride, in_chans)
    raise ValueError(f"unknown stem {kind!r}; expected 'patch' or 'conv'")

"""Image -> token stems: the ViT's 16x16 patchify, a small convolutional stem, or real-video features.

A ViT trained from scratch on little data sees better through a few stride-2 convolutions than through
one 16x16 patchify (Xiao et al., "Early convolutions help transformers see better", NeurIPS 2021), so the
CPU variant, which we train ourselves, uses the convolutional stem; the paper variants keep the patchify so
that MAE / OSTrack / ViPT weights load. The `real` stem is NanoTrack's frozen backbone (see real_features):
features learnt from real video, so that a model trained on generated scenes meets real pictures with them.
"""

from __future__ import annotations

import torch
from torch import nn

from tpmri_core.models.real_features import NANOTRACK_CHANNELS, NANOTRACK_STRIDE, NanoTrackFeatures
from tpmri_core.tracking.preprocess import IMAGENET_MEAN, IMAGENET_STD


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


class RealFeatureStem(nn.Module):
    """NanoTrack v2's backbone, frozen, then a trained 1x1 projection to the token width.

    Takes the same ImageNet-normalised tensors as the other stems and turns them back into the 0..255 BGR
    pixels the backbone was trained on. The backbone's weights are set by `load_nanotrack_onnx` (or come
    with a checkpoint) and never train: generated scenes would teach it their own look again.
    """

    def __init__(self, embed_dim: int, stride: int = NANOTRACK_STRIDE) -> None:
        super().__init__()
        if stride != NANOTRACK_STRIDE:
            raise ValueError(f"the real-feature stem has stride {NANOTRACK_STRIDE}, got {stride}")
        self.features = NanoTrackFeatures().requires_grad_(False)
        self.project = nn.Conv2d(NANOTRACK_CHANNELS, embed_dim, kernel_size=1)
        # RGB -> BGR folded into the un-normalisation: pixel_bgr = x[:, ::-1] * std[::-1] + mean[::-1].
        self.register_buffer("pixel_std", torch.tensor(IMAGENET_STD[::-1].copy()).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("pixel_mean", torch.tensor(IMAGENET_MEAN[::-1].copy()).view(1, 3, 1, 1), persistent=False)

    def backbone_features(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised images -> (B, 48, H/16, W/16) frozen backbone features, without gradients."""
        with torch.no_grad():
            return self.features(images.flip(1) * self.pixel_std + self.pixel_mean)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.project(self.backbone_features(images)).flatten(2).transpose(1, 2)


def build_stem(kind: str, embed_dim: int, stride: int, in_chans: int = 3) -> nn.Module:
    if kind == "patch":
        return PatchStem(embed_dim, stride, in_chans)
    if kind == "conv":
        return ConvStem(embed_dim, stride, in_chans)
    if kind == "real":
        if in_chans != 3:
            raise ValueError(f"the real-feature stem takes 3-channel images, got in_chans={in_chans}")
        return RealFeatureStem(embed_dim, stride)
    raise ValueError(f"unknown stem {kind!r}; expected 'patch', 'conv' or 'real'")

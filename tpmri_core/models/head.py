"""The centre head of the OSTrack lineage and the decoding of its maps into one box."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


def _conv_bn_relu(channels_in: int, channels_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, padding=1),
        nn.BatchNorm2d(channels_out),
        nn.ReLU(inplace=True),
    )


def _branch(embed_dim: int, channels: int, out_channels: int) -> nn.Sequential:
    widths = [embed_dim, channels, channels // 2, channels // 4, channels // 8]
    layers = [_conv_bn_relu(a, b) for a, b in zip(widths[:-1], widths[1:])]
    return nn.Sequential(*layers, nn.Conv2d(widths[-1], out_channels, kernel_size=1))


@dataclass(frozen=True)
class HeadMaps:
    """Dense predictions over the search feature map (B, *, H, W).

    score_logits: target-centre logits; size: box width and height as fractions of the search crop;
    offset: sub-cell position of the centre, in cells.
    """

    score_logits: torch.Tensor
    size: torch.Tensor
    offset: torch.Tensor


class CenterHead(nn.Module):
    """Three convolutional branches (centre score, size, offset) over the search tokens' map.

    Args:
        embed_dim: channels of the input map.
        channels: width of the first convolution in each branch (halved three times after it).
    """

    def __init__(self, embed_dim: int, channels: int = 256) -> None:
        super().__init__()
        if channels % 8:
            raise ValueError(f"head channels must be divisible by 8, got {channels}")
        self.score = _branch(embed_dim, channels, 1)
        self.size = _branch(embed_dim, channels, 2)
        self.offset = _branch(embed_dim, channels, 2)
        # Start with a low centre probability everywhere, as focal-loss detectors do.
        nn.init.constant_(self.score[-1].bias, -4.6)

    def forward(self, search_map: torch.Tensor) -> HeadMaps:
        return HeadMaps(
            score_logits=self.score(search_map),
            size=self.size(search_map).sigmoid(),
            offset=self.offset(search_map),
        )


def decode_peak(maps: HeadMaps, window: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The box at the score peak: (B, 4) cx, cy, w, h as fractions of the search crop, and (B,) peak score.

    Args:
        maps: the head's output.
        window: optional (H, W) weights (a Hann window) multiplied into the score map before the peak
            is chosen; the reported score is the windowed peak.
    """
    scores = maps.score_logits.sigmoid()
    batch, _, height, width = scores.shape
    if window is not None:
        scores = scores * window
    peak_score, peak_index = scores.flatten(1).max(dim=1)
    row = torch.div(peak_index, width, rounding_mode="floor")
    col = peak_index % width
    batch_index = torch.arange(batch, device=scores.device)
    offset = maps.offset[batch_index, :, row, col]
    size = maps.size[batch_index, :, row, col]
    center_x = (col.to(offset.dtype) + offset[:, 0]) / width
    center_y = (row.to(offset.dtype) + offset[:, 1]) / height
    return torch.stack([center_x, center_y, size[:, 0], size[:, 1]], dim=1), peak_score


def merge_mirrored(maps: HeadMaps) -> HeadMaps:
    """One set of maps from a batch of two: a search crop (row 0) and its left-right mirror (row 1).

    The mirror's maps are flipped back and averaged with the crop's: score probabilities, sizes and offsets
    (the horizontal offset of a flipped cell counts from the other edge, so it becomes 1 - offset). A
    target the model sees only in one of the two views then keeps half its evidence.
    """
    if maps.score_logits.shape[0] != 2:
        raise ValueError(f"merge_mirrored needs a batch of 2 maps (crop, mirror), got {maps.score_logits.shape[0]}")
    probabilities = maps.score_logits.sigmoid()
    probabilities = 0.5 * (probabilities[:1] + probabilities[1:].flip(-1))
    size = 0.5 * (maps.size[:1] + maps.size[1:].flip(-1))
    mirror_offset = maps.offset[1:].flip(-1)
    mirror_offset = torch.cat([1.0 - mirror_offset[:, :1], mirror_offset[:, 1:]], dim=1)
    offset = 0.5 * (maps.offset[:1] + mirror_offset)
    return HeadMaps(score_logits=torch.logit(probabilities, eps=1e-6), size=size, offset=offset)

"""A small CNN trained on real video (NanoTrack v2's backbone), rebuilt in PyTorch to give TPMRI real features.

Our CPU variant learns from generated scenes only; its own stem learns what generated pictures look like and
fails on real ones. NanoTrack v2's backbone (the first nine blocks of a MobileNetV3-small, 0.19 M parameters,
stride 16, 48 channels) was trained on real RGB video. Frozen as TPMRI's stem, it hands the transformer
features of real pictures, and training on generated scenes can only teach what to do with them.

The weights are data: `load_nanotrack_onnx` reads them from NanoTrack's `nanotrack_backbone_sim.onnx`
(Apache License 2.0, HonglinChu/SiamTrackers); a checkpoint that holds them must travel with that licence's
notice. This module is ours: the layer table below is read off that file's graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from tpmri_core.errors import UserError


@dataclass(frozen=True)
class BlockSpec:
    """One inverted-residual block: 1x1 expansion (none when `expanded == in_channels` in the first block),
    depthwise k x k, optional squeeze-excitation, 1x1 projection; a residual when shapes allow."""

    in_channels: int
    expanded: int
    out_channels: int
    kernel: int
    stride: int
    squeeze: int  # squeeze-excitation width, 0 for none
    hard_swish: bool  # else ReLU


# NanoTrack v2 (its graph's features.1 .. features.8), after a 3x3 stride-2 convolution to 16 channels.
NANOTRACK_BLOCKS = (
    BlockSpec(16, 16, 16, 3, 2, 8, False),
    BlockSpec(16, 72, 24, 3, 2, 0, False),
    BlockSpec(24, 88, 24, 3, 1, 0, False),
    BlockSpec(24, 96, 40, 5, 2, 24, True),
    BlockSpec(40, 240, 40, 5, 1, 64, True),
    BlockSpec(40, 240, 40, 5, 1, 64, True),
    BlockSpec(40, 120, 48, 5, 1, 32, True),
    BlockSpec(48, 144, 48, 5, 1, 40, True),
)
NANOTRACK_CHANNELS = 48
NANOTRACK_STRIDE = 16


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.reduce = nn.Linear(channels, squeeze)
        self.expand = nn.Linear(squeeze, channels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        weights = torch.relu(self.reduce(features.mean(dim=(2, 3))))
        return features * nn.functional.hardsigmoid(self.expand(weights))[:, :, None, None]


class InvertedResidual(nn.Module):
    """The block as NanoTrack's graph orders it: in the first block the activation comes before the
    squeeze-excitation, in the hard-swish blocks after it."""

    def __init__(self, spec: BlockSpec) -> None:
        super().__init__()
        self.spec = spec
        activation = nn.Hardswish if spec.hard_swish else nn.ReLU
        self.expand = (
            nn.Sequential(nn.Conv2d(spec.in_channels, spec.expanded, 1), activation())
            if spec.expanded != spec.in_channels
            else nn.Identity()
        )
        self.depthwise = nn.Conv2d(
            spec.expanded, spec.expanded, spec.kernel, spec.stride, spec.kernel // 2, groups=spec.expanded
        )
        self.activation = activation()
        self.squeeze = SqueezeExcitation(spec.expanded, spec.squeeze) if spec.squeeze else nn.Identity()
        self.project = nn.Conv2d(spec.expanded, spec.out_channels, 1)
        self.residual = spec.stride == 1 and spec.in_channels == spec.out_channels

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        hidden = self.depthwise(self.expand(features))
        if self.spec.hard_swish:
            hidden = self.activation(self.squeeze(hidden))
        else:
            hidden = self.squeeze(self.activation(hidden))
        out = self.project(hidden)
        return features + out if self.residual else out


class NanoTrackFeatures(nn.Module):
    """(B, 3, H, W) BGR pixels in 0..255, as NanoTrack takes them -> (B, 48, H/16, W/16)."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.Hardswish())
        self.blocks = nn.Sequential(*(InvertedResidual(spec) for spec in NANOTRACK_BLOCKS))

    def forward(self, images_bgr: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.first(images_bgr))


def load_nanotrack_onnx(module: NanoTrackFeatures, path: Path | str) -> None:
    """Copy the weights of NanoTrack's backbone ONNX file into `module`.

    The graph's Conv and Gemm nodes come in the order this module registers its parameters, so the
    weight/bias pairs are matched by position and every shape is checked.
    """
    import onnx  # only needed to import the weights, not to run the model
    from onnx import numpy_helper

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: NanoTrack backbone file not found")
    try:
        graph = onnx.load(str(path)).graph
    except Exception as error:  # onnx raises DecodeError and others for a file that is not a model
        raise UserError(f"{path}: not a readable ONNX model ({error})") from None
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    arrays = [
        numpy_helper.to_array(initializers[name])
        for node in graph.node
        if node.op_type in ("Conv", "Gemm")
        for name in node.input[1:]
        if name in initializers
    ]
    parameters = list(module.parameters())
    if len(arrays) != len(parameters):
        raise UserError(f"{path}: {len(arrays)} weight tensors, NanoTrack v2's backbone has {len(parameters)}")
    with torch.no_grad():
        for parameter, array in zip(parameters, arrays):
            if tuple(array.shape) != tuple(parameter.shape):
                raise UserError(
                    f"{path}: a weight of shape {tuple(array.shape)} where NanoTrack v2's backbone has "
                    f"{tuple(parameter.shape)}; is this NanoTrack v2's backbone?"
                )
            parameter.copy_(torch.from_numpy(array.copy()))

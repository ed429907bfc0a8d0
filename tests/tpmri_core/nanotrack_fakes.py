"""NanoTrack v2 backbones with random weights, and their ONNX files (NanoTrack's own file does not ship here)."""

from __future__ import annotations

import torch

from tpmri_core.models.real_features import NanoTrackFeatures


def random_nanotrack_backbone(seed: int) -> NanoTrackFeatures:
    """The backbone with random weights large enough that every layer changes the output."""
    torch.manual_seed(seed)
    module = NanoTrackFeatures().eval()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0.0, 0.2)
    return module


def export_backbone_onnx(module: NanoTrackFeatures, path: str) -> None:
    """The ONNX file PyTorch exports from `module`, as NanoTrack's own file was made."""
    torch.onnx.export(module, (torch.zeros(1, 3, 255, 255),), path, input_names=["input"], output_names=["output"], dynamo=False)

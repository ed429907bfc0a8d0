"""The real-feature stem: NanoTrack v2's backbone rebuilt in PyTorch, its ONNX weights read in, frozen in training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nanotrack_fakes import random_nanotrack_backbone
from tpmri_core.errors import UserError
from tpmri_core.models.real_features import NANOTRACK_CHANNELS, NanoTrackFeatures, load_nanotrack_onnx
from tpmri_core.models.stems import RealFeatureStem
from tpmri_core.tracking.preprocess import rgb_to_tensor, tir_to_tensor

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def test_the_backbone_has_stride_16_and_48_channels() -> None:
    module = NanoTrackFeatures().eval()
    with torch.no_grad():
        assert module(torch.zeros(2, 3, 192, 192)).shape == (2, NANOTRACK_CHANNELS, 12, 12)
        assert module(torch.zeros(1, 3, 96, 96)).shape == (1, NANOTRACK_CHANNELS, 6, 6)


def test_weights_read_from_onnx_give_the_onnx_models_output(nanotrack_onnx) -> None:
    exported, path = nanotrack_onnx
    loaded = NanoTrackFeatures().eval()
    load_nanotrack_onnx(loaded, path)
    pixels = np.random.default_rng(0).uniform(0, 255, (1, 3, 255, 255)).astype(np.float32)
    expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": pixels})[0]
    with torch.no_grad():
        got = loaded(torch.from_numpy(pixels)).numpy()
        assert torch.equal(loaded.first[0].weight, exported.first[0].weight)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_a_missing_or_foreign_onnx_file_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(UserError, match="backbone file not found"):
        load_nanotrack_onnx(NanoTrackFeatures(), tmp_path / "absent.onnx")
    (tmp_path / "text.onnx").write_text("not a model")
    with pytest.raises(UserError, match="not a readable ONNX model"):
        load_nanotrack_onnx(NanoTrackFeatures(), tmp_path / "text.onnx")
    other = tmp_path / "other.onnx"
    torch.onnx.export(torch.nn.Conv2d(3, 8, 3), (torch.zeros(1, 3, 8, 8),), str(other), dynamo=False)
    with pytest.raises(UserError, match="2 weight tensors"):
        load_nanotrack_onnx(NanoTrackFeatures(), other)


def test_the_stem_sees_the_bgr_pixels_of_the_normalised_rgb_and_thermal_crops() -> None:
    stem = RealFeatureStem(embed_dim=16).eval()
    stem.features.load_state_dict(random_nanotrack_backbone(seed=2).state_dict())
    rng = np.random.default_rng(1)
    crop_rgb = rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)
    crop_tir = rng.integers(0, 256, (96, 96), dtype=np.uint8)
    with torch.no_grad():
        for tensor, pixels_bgr in (
            (rgb_to_tensor(crop_rgb), crop_rgb[:, :, ::-1]),
            (tir_to_tensor(crop_tir), np.repeat(crop_tir[:, :, None], 3, axis=2)),
        ):
            direct = stem.features(torch.from_numpy(pixels_bgr.transpose(2, 0, 1).astype(np.float32).copy())[None])
            expected = stem.project(direct).flatten(2).transpose(1, 2)
            torch.testing.assert_close(stem(tensor), expected, rtol=1e-4, atol=1e-4)


def test_training_moves_the_projection_and_never_the_backbone() -> None:
    torch.manual_seed(0)
    stem = RealFeatureStem(embed_dim=16).train()
    backbone_before = {name: value.clone() for name, value in stem.features.state_dict().items()}
    optimiser = torch.optim.SGD([p for p in stem.parameters() if p.requires_grad], lr=0.1)
    stem(torch.randn(2, 3, 64, 64)).square().mean().backward()
    optimiser.step()
    assert all(not p.requires_grad for p in stem.features.parameters())
    assert stem.project.weight.grad is not None and stem.project.weight.grad.abs().sum() > 0
    for name, value in stem.features.state_dict().items():
        assert torch.equal(value, backbone_before[name]), name


def test_the_stem_refuses_another_stride() -> None:
    with pytest.raises(ValueError, match="stride 16"):
        RealFeatureStem(embed_dim=16, stride=8)

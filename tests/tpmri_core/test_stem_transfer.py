"""Moving a trained model onto the real-feature stem: `tpmri stem-transfer`, the projection fit, and training it."""

from __future__ import annotations

import pytest
import torch

from tpmri_core.models.checkpoint import load_checkpoint, save_checkpoint
from tpmri_core.models.stems import ConvStem, RealFeatureStem
from tpmri_core.training.stem_transfer import fit_projection
from tpmri_live.tpmri_command import main

pytest.importorskip("onnx")


def test_the_fitted_projection_reproduces_tokens_that_are_a_linear_map_of_the_features() -> None:
    torch.manual_seed(0)
    new_stem = RealFeatureStem(embed_dim=8).eval()
    teacher = RealFeatureStem(embed_dim=8).eval()
    teacher.features.load_state_dict(new_stem.features.state_dict())
    images = [torch.randn(1, 3, 64, 64) for _ in range(6)]
    fit = fit_projection(teacher, new_stem, images, "rgb", ridge=1e-8)
    assert fit.samples == 6 * 16 and fit.r_squared > 0.999
    unseen = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(new_stem(unseen), teacher(unseen), atol=1e-3, rtol=1e-3)


def test_stem_transfer_keeps_every_other_tensor_and_training_leaves_the_backbone_alone(
    tmp_path, make_tiny_model, nanotrack_onnx, capsys
) -> None:
    backbone_onnx = nanotrack_onnx[1]
    source = tmp_path / "conv.safetensors"
    model = make_tiny_model(seed=1)
    assert isinstance(model.rgb_stem, ConvStem)
    save_checkpoint(model, source, "tpmri-tiny")
    transferred_path = tmp_path / "real.safetensors"
    argv = ["stem-transfer", "--from", str(source), "--real-features", backbone_onnx, "--out", str(transferred_path),
            "--sequences", "1", "--frames", "8"]
    assert main(argv) == 0
    assert "rgb: projection fitted on" in capsys.readouterr().out
    transferred = load_checkpoint(transferred_path)
    assert transferred.variant == "tpmri-tiny-real" and isinstance(transferred.model.rgb_stem, RealFeatureStem)
    old_state, new_state = model.state_dict(), transferred.model.state_dict()
    for name, tensor in new_state.items():
        if not name.startswith(("rgb_stem.", "tir_stem.")):
            assert torch.equal(tensor, old_state[name]), name
    assert not torch.equal(new_state["rgb_stem.project.weight"], new_state["tir_stem.project.weight"])

    run = tmp_path / "run"
    assert main(["train", "--smoke", "--variant", "tpmri-tiny-real", "--pretrained", str(transferred_path), "--out", str(run)]) == 0
    trained = load_checkpoint(run / "model.safetensors").model.state_dict()
    for name, tensor in trained.items():
        if ".features." in name:
            assert torch.equal(tensor, new_state[name]), name
    assert not torch.equal(trained["rgb_stem.project.weight"], new_state["rgb_stem.project.weight"])


def test_a_real_stem_without_its_weights_is_refused_with_one_line(tmp_path, capsys) -> None:
    assert main(["train", "--smoke", "--variant", "tpmri-tiny-real", "--out", str(tmp_path / "run")]) == 2
    assert "nothing set its weights" in capsys.readouterr().err


def test_stem_transfer_refuses_bad_arguments_with_one_line(tmp_path, make_tiny_model, nanotrack_onnx, capsys) -> None:
    backbone_onnx = nanotrack_onnx[1]
    source = tmp_path / "conv.safetensors"
    save_checkpoint(make_tiny_model(seed=1), source, "tpmri-tiny")
    base = ["stem-transfer", "--from", str(source), "--real-features", backbone_onnx]
    assert main(base + ["--out", str(tmp_path / "x.pt")]) == 2
    assert main(base[:4] + [str(tmp_path / "absent.onnx"), "--out", str(tmp_path / "x.safetensors")]) == 2
    assert main(base + ["--out", str(tmp_path / "x.safetensors"), "--frames", "0"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("tpmri stem-transfer: error:") for line in errors), errors
    assert "must end in .safetensors" in errors[0] and "absent.onnx" in errors[1] and "--frames" in errors[2]
    assert "Traceback" not in "".join(errors)

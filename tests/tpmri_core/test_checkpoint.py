"""Checkpoints rebuild their own model; third-party weights load with a report; bad files are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import timm
import torch
from safetensors.torch import save_file

from tpmri_core.errors import UserError
from tpmri_core.models.checkpoint import (
    CheckpointError,
    detect_kind,
    load_checkpoint,
    load_pretrained,
    load_tpmri_weights,
    save_checkpoint,
)
from tpmri_core.models.tpmri import TPMRI
from tpmri_core.weights import resolve_model


def _outputs(model: TPMRI, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    template = torch.randn(2, 3, model.template_size, model.template_size, generator=generator)
    search = torch.randn(2, 3, model.search_size, model.search_size, generator=generator)
    with torch.inference_mode():
        out = model.eval()(template, template * 0.5, search, search * 0.5)
    return out.maps.score_logits, out.alpha


# --------------------------------------------------------------------------------- our format


def test_checkpoint_round_trip_rebuilds_the_same_model(make_tiny_model, tmp_path: Path) -> None:
    model = make_tiny_model(seed=3)
    path = tmp_path / "nested" / "tiny.safetensors"
    save_checkpoint(model, path, "tpmri-tiny", extra={"note": "test"})
    loaded = load_checkpoint(path)
    assert loaded.variant == "tpmri-tiny"
    assert loaded.metadata["note"] == "test"
    assert json.loads(loaded.metadata["model_args"]) == model.model_args
    for before, after in zip(_outputs(model), _outputs(loaded.model)):
        assert torch.equal(before, after)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.model.state_dict()[name]), name


def test_checkpoint_round_trip_keeps_ablations_and_candidate_elimination(make_tiny_model, tmp_path: Path) -> None:
    model = make_tiny_model(use_cmi=False, tmr_history=False, ce_layers=(2,), ce_keep_ratio=0.7)
    path = tmp_path / "ablation.safetensors"
    save_checkpoint(model, path, "tpmri-tiny")
    rebuilt = load_checkpoint(path).model
    assert rebuilt.tpi[0].cmi is None
    assert rebuilt.tpi[0].tmr.preference[0].in_features == 2
    assert rebuilt.ce_layers == (2,)
    for before, after in zip(_outputs(model), _outputs(rebuilt)):
        assert torch.equal(before, after)


def test_resolve_model_uses_a_weights_file_and_checks_the_variant(make_tiny_model, tmp_path: Path) -> None:
    path = tmp_path / "tiny.safetensors"
    save_checkpoint(make_tiny_model(), path, "tpmri-tiny")
    resolved = resolve_model(None, path)
    assert resolved.variant == "tpmri-tiny" and resolved.weights == path
    with pytest.raises(UserError, match="holds variant"):
        resolve_model("tpmri-base", path)
    with pytest.raises(UserError, match="unknown variant"):
        resolve_model("tpmri-gigantic")


def test_weights_without_cmi_position_scales_start_a_positional_model(make_tiny_model, tmp_path: Path) -> None:
    """Fine-tuning older weights into the current tpmri-tiny: everything shared loads, the new scales keep
    their initial value, and the old file still rebuilds its own (non-positional) model."""
    old = make_tiny_model(seed=1, positional_cmi=False)
    path = tmp_path / "old.safetensors"
    save_checkpoint(old, path, "tpmri-tiny")
    assert load_checkpoint(path).model.cmi_position_code is None
    new = make_tiny_model(seed=2)
    report = load_tpmri_weights(new, path)
    assert report.missing == [f"tpi.{i}.cmi.position_scale" for i in range(new.num_layers)] and not report.unexpected
    old_state = old.state_dict()
    assert all(torch.equal(old_state[k], v) for k, v in new.state_dict().items() if k in old_state)
    assert float(new.tpi[0].cmi.position_scale) == 3.0
    assert "cmi_position_code" not in new.state_dict()  # derived from the layout, not stored


def test_a_missing_file_is_a_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "absent.safetensors")


def test_a_corrupt_file_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all" + bytes(range(50)))
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_checkpoint(path)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"definitely not a pickle")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_pretrained(TPMRI(embed_dim=64, depth=1, num_heads=2, head_channels=16), garbage)


def test_a_truncated_checkpoint_is_a_checkpoint_error(make_tiny_model, tmp_path: Path) -> None:
    path = tmp_path / "tiny.safetensors"
    save_checkpoint(make_tiny_model(), path, "tpmri-tiny")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_a_foreign_safetensors_file_is_not_taken_for_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(2, 2)}, str(path))
    with pytest.raises(CheckpointError, match="not a TPMRI checkpoint"):
        load_checkpoint(path)


def test_a_checkpoint_whose_tensors_do_not_fit_its_arguments_is_refused(make_tiny_model, tmp_path: Path) -> None:
    model = make_tiny_model()
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    tensors["pos_search"] = torch.zeros(1, 7, 192)
    metadata = {"format": "tpmri-live-checkpoint", "version": "1", "variant": "tpmri-tiny",
                "model_args": json.dumps(model.model_args)}
    path = tmp_path / "mismatch.safetensors"
    save_file(tensors, str(path), metadata=metadata)
    with pytest.raises(CheckpointError, match=r"'pos_search' has shape \(1, 7, 192\), the model needs \(1, 144, 192\)"):
        load_checkpoint(path)


# ------------------------------------------------------------------------------- third-party


def _patch_stem_model(**overrides) -> TPMRI:
    """A small patch-stem model with the layout of timm's vit_tiny (width 192, 3 heads), 2 blocks."""
    torch.manual_seed(0)
    args = dict(vit_name="vit_tiny_patch16_224", embed_dim=192, depth=2, num_heads=3, stem="patch",
                template_size=64, search_size=128, head_channels=32, tpi_width=8)
    args.update(overrides)
    return TPMRI(**args).eval()


def _timm_vit_state_dict(embed_dim: int = 192, depth: int = 2) -> dict[str, torch.Tensor]:
    torch.manual_seed(1)
    vit = timm.create_model("vit_tiny_patch16_224", pretrained=False, embed_dim=embed_dim, depth=depth, num_heads=3)
    return vit.state_dict()


def test_a_timm_vit_state_dict_loads_and_reports_missing_and_unexpected_keys(tmp_path: Path) -> None:
    state = _timm_vit_state_dict()
    path = tmp_path / "vit.pth"
    torch.save(state, path)
    model = _patch_stem_model()
    report = load_pretrained(model, path)
    assert report.source_kind == "vit"
    # The TPI modules and the head are ours alone: reported missing, left at their initial values.
    assert any(key.startswith("tpi.") for key in report.missing)
    assert any(key.startswith("head.") for key in report.missing)
    assert not any(key.startswith("blocks.") or key.startswith("rgb_stem.") for key in report.missing)
    assert "cls_token" in report.unexpected and "head.weight" in report.unexpected
    assert "missing" in report.summary() and str(report.loaded) in report.summary()
    loaded = model.state_dict()
    for key in ("blocks.0.attn.qkv.weight", "blocks.1.mlp.fc2.bias", "norm.weight"):
        assert torch.equal(loaded[key], state[key]), key
    assert torch.equal(loaded["rgb_stem.proj.weight"], state["patch_embed.proj.weight"])
    assert torch.equal(loaded["tir_stem.proj.weight"], state["patch_embed.proj.weight"])  # thermal starts from RGB's
    # The 14x14 position grid (class token dropped) is resampled to the template and search grids.
    assert loaded["pos_template"].shape == (1, 16, 192) and loaded["pos_search"].shape == (1, 64, 192)


def test_third_party_safetensors_load_too(tmp_path: Path) -> None:
    path = tmp_path / "vit.safetensors"
    save_file({k: v.contiguous() for k, v in _timm_vit_state_dict().items()}, str(path))
    report = load_pretrained(_patch_stem_model(), path)
    assert report.source_kind == "vit" and report.loaded > 0


def test_a_shape_mismatch_in_third_party_weights_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "vit-wide.pth"
    torch.save(_timm_vit_state_dict(embed_dim=384), path)
    model = _patch_stem_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError) as raised:
        load_pretrained(model, path)
    message = str(raised.value)
    assert "\n" not in message and str(path) in message
    assert "384" in message and "192" in message and "the model needs" in message
    # Nothing was half-loaded.
    for key, tensor in model.state_dict().items():
        assert torch.equal(tensor, before[key]), key


def test_an_ostrack_checkpoint_maps_backbone_and_head(tmp_path: Path) -> None:
    """An OSTrack-style file made from one of our models loads into a fresh one and reproduces it."""
    source = _patch_stem_model()
    source.tir_stem.load_state_dict(source.rgb_stem.state_dict())  # OSTrack's one embedding serves both
    ostrack: dict[str, torch.Tensor] = {}
    for key, tensor in source.state_dict().items():
        if key.startswith(("blocks.", "norm.")):
            ostrack["backbone." + key] = tensor
        elif key.startswith("rgb_stem.proj."):
            ostrack["backbone.patch_embed." + key[len("rgb_stem.") :]] = tensor
        elif key == "pos_template":
            ostrack["backbone.pos_embed_z"] = tensor
        elif key == "pos_search":
            ostrack["backbone.pos_embed_x"] = tensor
        elif key.startswith("head."):
            _, branch, index, rest = key.split(".", 3)
            name = {"score": "ctr", "offset": "offset", "size": "size"}[branch]
            ostrack[f"box_head.conv{int(index) + 1}_{name}.{rest}"] = tensor
        # tpi.* and tir_stem.*: OSTrack has no thermal path.
    path = tmp_path / "ostrack.pth.tar"
    torch.save({"net": ostrack, "epoch": 300}, path)
    assert detect_kind(ostrack) == "ostrack"

    target = _patch_stem_model()
    torch.manual_seed(5)
    for parameter in target.parameters():  # make sure nothing matches by accident
        parameter.data.normal_()
    report = load_pretrained(target, path)
    assert report.source_kind == "ostrack"
    assert report.unexpected == []
    assert report.missing and all(key.startswith("tpi.") for key in report.missing)
    target.tpi.load_state_dict(source.tpi.state_dict())
    for before, after in zip(_outputs(source), _outputs(target)):
        torch.testing.assert_close(before, after)


def test_a_vipt_checkpoint_gives_the_thermal_stem_its_own_embedding(tmp_path: Path) -> None:
    model = _patch_stem_model()
    rgb_weight = torch.randn_like(model.rgb_stem.proj.weight)
    tir_weight = torch.randn_like(model.tir_stem.proj.weight)
    state = {
        "backbone.patch_embed.proj.weight": rgb_weight,
        "backbone.patch_embed_prompt.proj.weight": tir_weight,
        "backbone.prompt_blocks.0.conv0_0.weight": torch.zeros(8, 192, 1, 1),
    }
    path = tmp_path / "vipt.pth"
    torch.save({"net": state}, path)
    report = load_pretrained(model, path)
    assert report.source_kind == "vipt"
    assert torch.equal(model.rgb_stem.proj.weight, rgb_weight)
    assert torch.equal(model.tir_stem.proj.weight, tir_weight)
    assert "backbone.prompt_blocks.0.conv0_0.weight" in report.unexpected


def test_a_file_without_tensors_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "epoch.pth"
    torch.save({"epoch": 3, "lr": 0.1}, path)
    with pytest.raises(CheckpointError, match="no state dict"):
        load_pretrained(_patch_stem_model(), path)


def test_a_model_without_tpi_takes_a_timm_vit_without_thermal_leftovers(tmp_path: Path) -> None:
    path = tmp_path / "vit.pth"
    torch.save(_timm_vit_state_dict(), path)
    report = load_pretrained(_patch_stem_model(use_tpi=False), path)
    assert all(key.startswith("head.") for key in report.missing)
    assert sorted(report.unexpected) == ["cls_token", "head.bias", "head.weight"]

"""The TPMRI network: shapes per variant, temporal state, batch independence, gradients, ablations and
candidate elimination."""

from __future__ import annotations

import math

import pytest
import torch

from mirror_maps import with_mirror
from tpmri_core.models.head import HeadMaps, decode_peak, merge_mirrored
from tpmri_core.models.tpi import ALPHA_START, TemporalState
from tpmri_core.models.tpmri import TPMRI, TPMRIOutput, _block_with_attention
from tpmri_core.models.variants import DEFAULT_VARIANT, build_model, list_variants, variant_args, variant_name


def _images(model: TPMRI, batch: int, seed: int) -> tuple[torch.Tensor, ...]:
    """Template RGB, template TIR, search RGB, search TIR."""
    generator = torch.Generator().manual_seed(seed)
    template, search = model.template_size, model.search_size
    return (
        torch.randn(batch, 3, template, template, generator=generator),
        torch.randn(batch, 3, template, template, generator=generator),
        torch.randn(batch, 3, search, search, generator=generator),
        torch.randn(batch, 3, search, search, generator=generator),
    )


def _search(model: TPMRI, batch: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    return _images(model, batch, seed)[2:]


# ------------------------------------------------------------------------------------ variants


def test_variants_are_registered_and_the_default_is_one_of_them() -> None:
    assert {"tpmri-base", "tpmri-small", "tpmri-tiny"} <= set(list_variants())
    assert DEFAULT_VARIANT in list_variants()
    with pytest.raises(KeyError, match="unknown variant"):
        variant_args("tpmri-huge")


def test_overrides_that_make_a_registered_variant_take_its_name() -> None:
    assert variant_name("tpmri-tiny", stem="real") == "tpmri-tiny-real"
    assert variant_name("tpmri-tiny-real", stem="conv") == "tpmri-tiny"
    assert variant_name("tpmri-tiny", depth=2) == "tpmri-tiny"
    assert variant_name("tpmri-small") == "tpmri-small"


@pytest.mark.parametrize("variant", list_variants())
def test_output_shapes_for_every_variant(variant: str) -> None:
    torch.manual_seed(0)
    model = build_model(variant).eval()
    args = variant_args(variant)
    map_side = args["search_size"] // 16
    with torch.inference_mode():
        out = model(*_images(model, 1, seed=1))
    assert isinstance(out, TPMRIOutput)
    assert out.maps.score_logits.shape == (1, 1, map_side, map_side)
    assert out.maps.size.shape == (1, 2, map_side, map_side)
    assert out.maps.offset.shape == (1, 2, map_side, map_side)
    assert out.alpha.shape == (1, args["depth"])
    assert out.state.alpha.shape == out.state.response_gap.shape == (1, args["depth"])
    assert torch.all((out.maps.size >= 0) & (out.maps.size <= 1))
    assert torch.all((out.alpha > 0) & (out.alpha < 1))
    for tensor in (out.maps.score_logits, out.maps.size, out.maps.offset, out.state.response_gap):
        assert torch.isfinite(tensor).all()


def test_the_paper_variant_is_vit_b_with_a_tpi_after_each_of_12_blocks() -> None:
    args = variant_args("tpmri-base")
    assert (args["embed_dim"], args["depth"], args["num_heads"]) == (768, 12, 12)
    assert (args["template_size"], args["search_size"]) == (128, 256)


# ---------------------------------------------------------------------------- temporal state


def test_alpha_changes_from_frame_to_frame_and_reset_restores_the_start(make_tiny_model) -> None:
    model = make_tiny_model()
    template_rgb, template_tir, search_rgb, search_tir = _images(model, 1, seed=1)
    other_rgb, other_tir = _search(model, 1, seed=2)
    with torch.inference_mode():
        first = model(template_rgb, template_tir, search_rgb, search_tir)
        second = model(template_rgb, template_tir, other_rgb, other_tir, first.state)
        third = model(template_rgb, template_tir, search_rgb, search_tir, second.state)
        restarted = model(template_rgb, template_tir, search_rgb, search_tir, third.state.reset())
    assert not torch.allclose(first.alpha, second.alpha)
    assert not torch.allclose(second.alpha, third.alpha)
    # Frame 1 again, but with history: alpha(t-1) and dr(t-1) make the answer differ from the start.
    assert not torch.allclose(first.alpha, third.alpha)
    # reset() clears every layer, so the first frame is reproduced exactly.
    torch.testing.assert_close(restarted.alpha, first.alpha)
    torch.testing.assert_close(restarted.maps.score_logits, first.maps.score_logits)


def test_the_same_frame_twice_still_moves_alpha_through_history(make_tiny_model) -> None:
    model = make_tiny_model()
    images = _images(model, 1, seed=1)
    with torch.inference_mode():
        first = model(*images)
        again = model(*images, first.state)
    assert not torch.allclose(first.alpha, again.alpha)


def test_initial_state_has_one_entry_per_layer(make_tiny_model) -> None:
    model = make_tiny_model()
    state = model.initial_state(3)
    assert state.alpha.shape == (3, model.num_layers)
    assert torch.all(state.alpha == ALPHA_START) and torch.all(state.response_gap == 0)


# ------------------------------------------------------------------------- batch independence


@pytest.mark.parametrize("ce_layers", [(), (1, 3)], ids=["all-tokens", "candidate-elimination"])
def test_batch_of_four_equals_four_single_runs_including_state(make_tiny_model, ce_layers) -> None:
    model = make_tiny_model(ce_layers=ce_layers, ce_keep_ratio=0.7)
    template_rgb, template_tir, search_rgb, search_tir = _images(model, 4, seed=3)
    next_rgb, next_tir = _search(model, 4, seed=4)
    # Every element starts from its own history.
    generator = torch.Generator().manual_seed(5)
    state = TemporalState(
        alpha=torch.rand(4, model.num_layers, generator=generator),
        response_gap=torch.randn(4, model.num_layers, generator=generator),
    )
    with torch.inference_mode():
        batch_first = model(template_rgb, template_tir, search_rgb, search_tir, state)
        batch_second = model(template_rgb, template_tir, next_rgb, next_tir, batch_first.state)
        for i in range(4):
            one = slice(i, i + 1)
            single_state = TemporalState(state.alpha[one], state.response_gap[one])
            single_first = model(template_rgb[one], template_tir[one], search_rgb[one], search_tir[one], single_state)
            single_second = model(template_rgb[one], template_tir[one], next_rgb[one], next_tir[one], single_first.state)
            for batched, single in ((batch_first, single_first), (batch_second, single_second)):
                for name in ("score_logits", "size", "offset"):
                    torch.testing.assert_close(
                        getattr(batched.maps, name)[one], getattr(single.maps, name), rtol=1e-4, atol=1e-4
                    )
                torch.testing.assert_close(batched.state.alpha[one], single.state.alpha, rtol=1e-5, atol=1e-5)
                torch.testing.assert_close(
                    batched.state.response_gap[one], single.state.response_gap, rtol=1e-4, atol=1e-5
                )


# ------------------------------------------------------------------------------------ gradients


def test_gradients_reach_every_tpi_parameter_over_an_unrolled_clip(make_tiny_model) -> None:
    model = make_tiny_model().train()
    template_rgb, template_tir, search_rgb, search_tir = _images(model, 2, seed=6)
    next_rgb, next_tir = _search(model, 2, seed=7)
    first = model(template_rgb, template_tir, search_rgb, search_tir)
    second = model(template_rgb, template_tir, next_rgb, next_tir, first.state)  # not detached: unrolled
    loss = sum(
        (out.maps.score_logits.sigmoid() - 0.5).square().mean() + out.maps.size.mean() + out.maps.offset.abs().mean()
        for out in (first, second)
    )
    loss.backward()
    tpi_parameters = dict(model.tpi.named_parameters())
    assert tpi_parameters
    for name, parameter in tpi_parameters.items():
        assert parameter.grad is not None, f"tpi.{name} got no gradient"
        assert torch.isfinite(parameter.grad).all(), f"tpi.{name} has a non-finite gradient"
        assert parameter.grad.abs().sum() > 0, f"tpi.{name} has an all-zero gradient"
    # Nothing else in the model is dead weight either (DDP would refuse unused parameters).
    assert [name for name, p in model.named_parameters() if p.grad is None] == []
    # The history inputs of TMR (dr(t-1) and alpha(t-1), columns 2 and 3) are trained too.
    for layer in model.tpi:
        history_grad = layer.tmr.preference[0].weight.grad[:, 2:4]
        assert history_grad[:, 0].abs().sum() > 0 and history_grad[:, 1].abs().sum() > 0


# ------------------------------------------------------------------------------------ ablations


def _shared_copy(reference: TPMRI, model: TPMRI) -> TPMRI:
    """Give `model` every tensor of `reference` it has with the same name and shape."""
    own = model.state_dict()
    shared = {k: v for k, v in reference.state_dict().items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(shared, strict=False)
    return model


def _tpi_parameter_count(model: TPMRI) -> int:
    return sum(p.numel() for p in model.tpi.parameters())


ABLATIONS = {
    "no-tmr": dict(use_tmr=False),
    "no-cmi": dict(use_cmi=False),
    "no-maf": dict(use_maf=False),
    "tmr-without-history": dict(tmr_history=False),
    "bidirectional-cmi": dict(bidirectional_cmi=True),
}


@pytest.mark.parametrize("ablation", list(ABLATIONS))
def test_each_ablation_changes_the_modules_and_the_outputs(make_tiny_model, ablation: str) -> None:
    full = make_tiny_model()
    ablated = _shared_copy(full, make_tiny_model(**ABLATIONS[ablation]))
    layer_full, layer_ablated = full.tpi[0], ablated.tpi[0]
    if ablation == "no-tmr":
        assert layer_ablated.tmr is None and layer_full.tmr is not None
    elif ablation == "no-cmi":
        assert layer_ablated.cmi is None and layer_full.cmi is not None
    elif ablation == "no-maf":
        assert layer_ablated.maf is None and layer_full.maf is not None
    elif ablation == "tmr-without-history":
        assert layer_ablated.tmr.preference[0].in_features == 2
        assert layer_full.tmr.preference[0].in_features == 4
    else:
        assert layer_ablated.cmi.bidirectional and hasattr(layer_ablated.cmi, "query_tir")
        assert not layer_full.cmi.bidirectional and not hasattr(layer_full.cmi, "query_tir")
    if ablation == "bidirectional-cmi":
        assert _tpi_parameter_count(ablated) > _tpi_parameter_count(full)
    else:
        assert _tpi_parameter_count(ablated) < _tpi_parameter_count(full)

    images = _images(full, 2, seed=8)
    with torch.inference_mode():
        out_full, out_ablated = full(*images), ablated(*images)
    assert not torch.allclose(out_full.maps.score_logits, out_ablated.maps.score_logits)
    if ablation == "no-tmr":
        assert torch.all(out_ablated.alpha == ALPHA_START)
    else:
        assert not torch.all(out_ablated.alpha == ALPHA_START)


def test_without_history_the_past_does_not_matter(make_tiny_model) -> None:
    """With history, two different pasts give different outputs; without, the same ones."""
    images = _images(make_tiny_model(), 1, seed=9)
    past_a = TemporalState(torch.full((1, 6), 0.1), torch.full((1, 6), -1.0))
    past_b = TemporalState(torch.full((1, 6), 0.9), torch.full((1, 6), 1.0))
    for history, should_differ in ((True, True), (False, False)):
        model = make_tiny_model(tmr_history=history)
        with torch.inference_mode():
            alpha_a, alpha_b = model(*images, past_a).alpha, model(*images, past_b).alpha
        assert (not torch.allclose(alpha_a, alpha_b)) == should_differ


def test_without_tpi_no_thermal_modules_run(make_tiny_model) -> None:
    model = make_tiny_model(use_tpi=False)
    assert model.tpi is None
    template_rgb, template_tir, search_rgb, search_tir = _images(model, 1, seed=10)
    with torch.inference_mode():
        out = model(template_rgb, template_tir, search_rgb, search_tir)
        out_other_tir = model(template_rgb, -template_tir, search_rgb, -search_tir)
    torch.testing.assert_close(out.maps.score_logits, out_other_tir.maps.score_logits)
    assert torch.all(out.alpha == ALPHA_START)


def test_without_tpi_every_parameter_is_used(make_tiny_model) -> None:
    model = make_tiny_model(use_tpi=False).train()
    out = model(*_images(model, 2, seed=10))
    (out.maps.score_logits.mean() + out.maps.size.mean() + out.maps.offset.mean()).backward()
    assert model.tir_stem is None
    assert [name for name, p in model.named_parameters() if p.grad is None] == []


def test_thermal_input_changes_the_output_of_the_full_model(make_tiny_model) -> None:
    model = make_tiny_model()
    template_rgb, template_tir, search_rgb, search_tir = _images(model, 1, seed=10)
    with torch.inference_mode():
        out = model(template_rgb, template_tir, search_rgb, search_tir)
        out_other_tir = model(template_rgb, -template_tir, search_rgb, -search_tir)
    assert not torch.allclose(out.maps.score_logits, out_other_tir.maps.score_logits)


# ------------------------------------------------------------------------- candidate elimination


def test_candidate_elimination_keeps_ceil_ratio_of_the_search_tokens(make_tiny_model) -> None:
    model = make_tiny_model(ce_layers=(1, 3), ce_keep_ratio=0.7)
    num_template, num_search = model.layout.num_template, model.layout.num_search  # 36, 144
    seen: list[int] = []
    hooks = [tpi.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[1])) for tpi in model.tpi]
    with torch.inference_mode():
        out = model(*_images(model, 2, seed=11))
    for hook in hooks:
        hook.remove()
    after_first = math.ceil(0.7 * num_search)  # 101
    after_second = math.ceil(0.7 * after_first)  # 71
    expected_search = [num_search, after_first, after_first, after_second, after_second, after_second]
    assert seen == [num_template + n for n in expected_search]
    # The head still sees the full search grid (eliminated tokens are zeros).
    assert out.maps.score_logits.shape[-2:] == model.layout.search_hw


def test_candidate_elimination_counts_for_the_paper_variant() -> None:
    args = variant_args("tpmri-base")
    remaining = (args["search_size"] // 16) ** 2
    for _ in args["ce_layers"]:
        remaining = math.ceil(args["ce_keep_ratio"] * remaining)
    assert remaining == 89  # 256 -> 180 -> 126 -> 89


def test_elimination_keeps_template_tokens_and_the_most_attended_search_tokens(make_tiny_model) -> None:
    model = make_tiny_model(ce_layers=(0,), ce_keep_ratio=0.5)
    num_template, num_search = model.layout.num_template, model.layout.num_search
    total = num_template + num_search
    tokens = torch.arange(total, dtype=torch.float32).view(1, total, 1).expand(1, total, 4).contiguous()
    kept_index = torch.arange(total).unsqueeze(0)
    # Distinct attention to every search token: rank r gets attention r.
    ranks = torch.randperm(num_search, generator=torch.Generator().manual_seed(0)).float()
    probabilities = torch.zeros(1, 2, total, total)
    probabilities[:, :, :num_template, num_template:] = ranks
    kept_tokens, new_index = model._eliminate(tokens, kept_index, probabilities)
    num_keep = math.ceil(0.5 * num_search)
    assert new_index.shape[1] == num_template + num_keep
    assert torch.equal(new_index[0, :num_template], torch.arange(num_template))
    kept_search = new_index[0, num_template:] - num_template
    assert torch.all(kept_search[1:] > kept_search[:-1])  # kept in their original order
    expected = set(torch.nonzero(ranks >= num_search - num_keep).flatten().tolist())
    assert set(kept_search.tolist()) == expected
    assert torch.equal(kept_tokens[0, :, 0], new_index[0].float())  # tokens and their positions travel together


def test_block_with_attention_matches_the_timm_block(make_tiny_model) -> None:
    model = make_tiny_model()
    tokens = torch.randn(2, model.layout.num_tokens, 192)
    with torch.inference_mode():
        ours, probabilities = _block_with_attention(model.blocks[0], tokens)
        reference = model.blocks[0](tokens)
    torch.testing.assert_close(ours, reference, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(2, 3, model.layout.num_tokens))


# ---------------------------------------------------------------------------------------- head


def test_decode_peak_reads_the_box_at_the_peak() -> None:
    score = torch.full((1, 1, 4, 4), -10.0)
    score[0, 0, 2, 1] = 5.0
    size = torch.zeros(1, 2, 4, 4)
    size[0, :, 2, 1] = torch.tensor([0.25, 0.5])
    offset = torch.zeros(1, 2, 4, 4)
    offset[0, :, 2, 1] = torch.tensor([0.5, 0.25])
    box, peak = decode_peak(HeadMaps(score, size, offset))
    torch.testing.assert_close(box, torch.tensor([[1.5 / 4, 2.25 / 4, 0.25, 0.5]]))
    assert peak.item() == pytest.approx(torch.sigmoid(torch.tensor(5.0)).item())
    window = torch.ones(4, 4)
    window[2, 1] = 0.0  # the window can veto a peak
    _, windowed_peak = decode_peak(HeadMaps(score, size, offset), window)
    assert windowed_peak.item() < peak.item()


def test_merging_a_consistent_mirror_gives_back_the_crop_and_its_box() -> None:
    generator = torch.Generator().manual_seed(3)
    crop = HeadMaps(torch.randn(1, 1, 6, 6, generator=generator), torch.rand(1, 2, 6, 6, generator=generator),
                    torch.rand(1, 2, 6, 6, generator=generator))
    merged = merge_mirrored(with_mirror(crop))
    torch.testing.assert_close(merged.score_logits, crop.score_logits, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(merged.size, crop.size)
    torch.testing.assert_close(merged.offset, crop.offset)
    torch.testing.assert_close(decode_peak(merged)[0], decode_peak(crop)[0], atol=1e-5, rtol=1e-5)


def test_merging_averages_the_two_views_evidence() -> None:
    score = torch.full((2, 1, 4, 4), -20.0)
    score[0, 0, 1, 0] = 20.0  # the crop sees the target in column 0 ...
    score[1, 0, 1, 0] = 20.0  # ... the mirror in its column 0, i.e. column 3 of the crop
    offset = torch.zeros(2, 2, 4, 4)
    offset[1, 0, 1, 0] = 0.2
    merged = merge_mirrored(HeadMaps(score, torch.zeros(2, 2, 4, 4), offset))
    probabilities = merged.score_logits.sigmoid()[0, 0]
    assert probabilities[1, 0].item() == pytest.approx(0.5, abs=1e-4)
    assert probabilities[1, 3].item() == pytest.approx(0.5, abs=1e-4)
    assert probabilities[0, 0].item() < 1e-6
    assert merged.offset[0, 0, 1, 3].item() == pytest.approx(0.5 * 0.8)  # 1 - 0.2, averaged with the crop's 0
    with pytest.raises(ValueError, match="batch of 2"):
        merge_mirrored(HeadMaps(score[:1], torch.zeros(1, 2, 4, 4), offset[:1]))


def test_embed_template_then_forward_with_template_equals_forward(make_tiny_model) -> None:
    model = make_tiny_model()
    template_rgb, template_tir, search_rgb, search_tir = _images(model, 2, seed=12)
    with torch.inference_mode():
        direct = model(template_rgb, template_tir, search_rgb, search_tir)
        cached = model.forward_with_template(model.embed_template(template_rgb, template_tir), search_rgb, search_tir)
    torch.testing.assert_close(direct.maps.score_logits, cached.maps.score_logits)
    torch.testing.assert_close(direct.alpha, cached.alpha)


def test_bad_constructor_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="multiples"):
        build_model("tpmri-tiny", search_size=200)
    with pytest.raises(ValueError, match="ce_layers"):
        build_model("tpmri-tiny", ce_layers=(6,))
    with pytest.raises(ValueError, match="ce_keep_ratio"):
        build_model("tpmri-tiny", ce_keep_ratio=0.0)

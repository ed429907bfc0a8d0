"""TPI building blocks in isolation: EMA, TemporalState, TMR, CMI, MAF, one ThreeStageInteraction."""

from __future__ import annotations

import math

import pytest
import torch

from tpmri_core.models.ema import EfficientMultiScaleAttention
from tpmri_core.models.tpi import (
    ALPHA_START,
    CrossModalityInteraction,
    ModalityAwareFusion,
    TemporalModalityReweighting,
    TemporalState,
    ThreeStageInteraction,
    TokenLayout,
    grid_position_code,
)

LAYOUT = TokenLayout(template_hw=(2, 2), search_hw=(4, 4))


def _tokens(batch: int, width: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, LAYOUT.num_tokens, width, generator=generator)


# ------------------------------------------------------------------------------------------ EMA


@pytest.mark.parametrize("batch", [1, 3])
def test_ema_keeps_shape_and_only_gates_its_input(batch: int) -> None:
    torch.manual_seed(0)
    ema = EfficientMultiScaleAttention(channels=16, groups=4)
    features = torch.randn(batch, 16, 5, 7)  # non-square: H and W branches must not be mixed up
    gated = ema(features)
    assert gated.shape == features.shape
    # EMA multiplies its input by a sigmoid gate: same sign, never larger.
    assert torch.all(gated.abs() <= features.abs() + 1e-6)
    assert torch.all(gated * features >= 0)
    assert not torch.allclose(gated, features / 2)  # the gate is not constant


def test_ema_groups_are_independent_per_batch_element() -> None:
    torch.manual_seed(0)
    ema = EfficientMultiScaleAttention(channels=8, groups=2).eval()
    features = torch.randn(3, 8, 4, 4)
    together = ema(features)
    alone = torch.cat([ema(features[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-6)


def test_ema_rejects_groups_that_do_not_divide_channels() -> None:
    with pytest.raises(ValueError, match="divide"):
        EfficientMultiScaleAttention(channels=10, groups=4)


# ---------------------------------------------------------------------------------- TemporalState


def test_initial_state_is_no_preference_and_no_gap() -> None:
    state = TemporalState.initial(batch=3, layers=5)
    assert state.alpha.shape == state.response_gap.shape == (3, 5)
    assert torch.all(state.alpha == ALPHA_START)
    assert torch.all(state.response_gap == 0)


def test_reset_clears_every_layer_of_every_element() -> None:
    state = TemporalState(alpha=torch.rand(2, 12), response_gap=torch.randn(2, 12))
    start = state.reset()
    assert start.alpha.shape == (2, 12)
    assert torch.all(start.alpha == ALPHA_START)  # all 12 layers, not only layer 0
    assert torch.all(start.response_gap == 0)


def test_select_mixes_states_per_element() -> None:
    new = TemporalState(alpha=torch.full((3, 2), 0.9), response_gap=torch.full((3, 2), 1.0))
    old = TemporalState.initial(3, 2)
    mixed = new.select(torch.tensor([True, False, True]), old)
    assert mixed.alpha[:, 0].tolist() == pytest.approx([0.9, 0.5, 0.9])
    assert mixed.response_gap[:, 1].tolist() == [1.0, 0.0, 1.0]


def test_detach_cuts_the_graph() -> None:
    alpha = torch.rand(1, 3, requires_grad=True)
    state = TemporalState(alpha * 2, alpha * 3).detach()
    assert not state.alpha.requires_grad and not state.response_gap.requires_grad


# ------------------------------------------------------------------------------------------- TMR


@pytest.mark.parametrize("batch", [1, 4])
def test_tmr_reweights_rgb_by_alpha_and_tir_by_its_complement(batch: int) -> None:
    torch.manual_seed(0)
    tmr = TemporalModalityReweighting(width=8)
    rgb, tir = _tokens(batch, 8, 1), _tokens(batch, 8, 2)
    state = TemporalState.initial(batch, 1)
    out_rgb, out_tir, alpha, gap = tmr(rgb, tir, LAYOUT, state.alpha[:, 0], state.response_gap[:, 0])
    assert alpha.shape == gap.shape == (batch,)  # batch 1 must not lose its batch dimension
    assert torch.all((alpha > 0) & (alpha < 1))
    torch.testing.assert_close(out_rgb, alpha.view(-1, 1, 1) * rgb)
    torch.testing.assert_close(out_tir, (1 - alpha).view(-1, 1, 1) * tir)


def test_tmr_history_changes_alpha_and_no_history_ignores_it() -> None:
    torch.manual_seed(0)
    with_history = TemporalModalityReweighting(width=8, use_history=True)
    without_history = TemporalModalityReweighting(width=8, use_history=False)
    assert with_history.preference[0].in_features == 4  # r_rgb, r_tir, dr(t-1), alpha(t-1)
    assert without_history.preference[0].in_features == 2
    rgb, tir = _tokens(2, 8, 1), _tokens(2, 8, 2)
    past_a = (torch.tensor([0.1, 0.1]), torch.tensor([-1.0, -1.0]))
    past_b = (torch.tensor([0.9, 0.9]), torch.tensor([2.0, 2.0]))
    alpha_a = with_history(rgb, tir, LAYOUT, *past_a)[2]
    alpha_b = with_history(rgb, tir, LAYOUT, *past_b)[2]
    assert not torch.allclose(alpha_a, alpha_b)
    torch.testing.assert_close(without_history(rgb, tir, LAYOUT, *past_a)[2], without_history(rgb, tir, LAYOUT, *past_b)[2])


# ------------------------------------------------------------------------------------------- CMI


def _reference_cross_attention(cmi: CrossModalityInteraction, rgb: torch.Tensor, tir: torch.Tensor) -> torch.Tensor:
    """Eq. 4-6 with an explicit loop over heads, each scaled by its own head_dim ** -0.5."""
    query, key, value = cmi.query_rgb(rgb), cmi.key_tir(tir), cmi.value_tir(tir)
    head_dim = query.shape[-1] // cmi.num_heads
    heads = []
    for head in range(cmi.num_heads):
        part = slice(head * head_dim, (head + 1) * head_dim)
        logits = query[..., part] @ key[..., part].transpose(1, 2) / math.sqrt(head_dim)
        heads.append(logits.softmax(dim=-1) @ value[..., part])
    return rgb + torch.cat(heads, dim=-1)


@pytest.mark.parametrize("num_heads", [1, 2, 4])
def test_cmi_is_multi_head_cross_attention_with_residual(num_heads: int) -> None:
    torch.manual_seed(0)
    cmi = CrossModalityInteraction(width=8, num_heads=num_heads)
    rgb, tir = _tokens(2, 8, 1), _tokens(2, 8, 2)
    enhanced_rgb, tir_out = cmi(rgb, tir)
    torch.testing.assert_close(enhanced_rgb, _reference_cross_attention(cmi, rgb, tir), rtol=1e-5, atol=1e-5)
    assert tir_out is tir  # one-directional: thermal passes through


def test_cmi_heads_really_differ_from_one_head() -> None:
    torch.manual_seed(0)
    two_heads = CrossModalityInteraction(width=8, num_heads=2)
    one_head = CrossModalityInteraction(width=8, num_heads=1)
    one_head.load_state_dict(two_heads.state_dict())
    rgb, tir = _tokens(1, 8, 1), _tokens(1, 8, 2)
    assert not torch.allclose(two_heads(rgb, tir)[0], one_head(rgb, tir)[0])


def test_bidirectional_cmi_also_updates_thermal() -> None:
    torch.manual_seed(0)
    cmi = CrossModalityInteraction(width=8, num_heads=2, bidirectional=True)
    rgb, tir = _tokens(2, 8, 1), _tokens(2, 8, 2)
    _, tir_out = cmi(rgb, tir)
    assert tir_out.shape == tir.shape and not torch.allclose(tir_out, tir)


def test_cmi_rejects_heads_that_do_not_divide_width() -> None:
    with pytest.raises(ValueError, match="divide"):
        CrossModalityInteraction(width=10, num_heads=4)


def test_position_code_matches_places_relative_to_the_target_and_fades_with_distance() -> None:
    layout = TokenLayout(template_hw=(6, 6), search_hw=(12, 12))
    code = grid_position_code(layout, 8)
    assert code.shape == (layout.num_tokens, 8)
    template, search = code[: layout.num_template].reshape(6, 6, 8), code[layout.num_template :].reshape(12, 12, 8)
    # Both crops are centred on the target with the same pixels per token: the same offset, the same code.
    assert torch.allclose(template[2, 2], search[5, 5]) and torch.allclose(template[0, 5], search[3, 8])
    similarity_along_row = search[5] @ search[5, 5]
    assert torch.all(similarity_along_row[5:].diff() < 0) and torch.all(similarity_along_row[:6].diff() > 0)
    with pytest.raises(ValueError, match="multiple of 4"):
        grid_position_code(layout, 6)


@pytest.mark.parametrize("positional", [True, False])
def test_with_rgb_blank_only_a_positional_cmi_brings_a_hot_thermal_spot_to_its_own_place(positional: bool) -> None:
    """What darkness does to CMI: TMR scales the RGB features towards zero, so every query is the same."""
    torch.manual_seed(0)
    layout = TokenLayout(template_hw=(6, 6), search_hw=(12, 12))
    code = grid_position_code(layout, 8).repeat(1, 2)  # one code per head, as TPMRI builds it
    cmi = CrossModalityInteraction(width=16, num_heads=2, positional=positional)
    rgb, tir = torch.zeros(1, layout.num_tokens, 16), 0.1 * torch.randn(1, layout.num_tokens, 16)
    hot = tir.clone()
    hot[0, layout.num_template + 3 * 12 + 8] += 3.0  # search row 3, column 8
    change = (cmi(rgb, hot, code)[0] - cmi(rgb, tir, code)[0])[0, layout.num_template :].norm(dim=1).reshape(12, 12)
    if positional:
        row, column = divmod(int(change.argmax()), 12)
        assert abs(row - 3) <= 1 and abs(column - 8) <= 1
        assert change[8:, :4].max() < 0.1 * change.max()  # far away, almost nothing arrives
    else:
        assert torch.allclose(change, change[0, 0].expand_as(change), atol=1e-6)  # the same everywhere


def test_positional_cmi_needs_the_code() -> None:
    cmi = CrossModalityInteraction(width=16, num_heads=2, positional=True)
    with pytest.raises(ValueError, match="position code"):
        cmi(torch.zeros(1, 4, 16), torch.zeros(1, 4, 16))


# ------------------------------------------------------------------------------------------- MAF


def test_maf_is_a_convex_combination_of_its_two_inputs() -> None:
    torch.manual_seed(0)
    maf = ModalityAwareFusion(width=8)
    first, second = _tokens(3, 8, 1), _tokens(3, 8, 2)
    torch.testing.assert_close(maf(first, first), first)  # weights sum to one
    fused = maf(first, second)
    # Per element, fused = w * first + (1 - w) * second for one scalar w in (0, 1).
    weight = ((fused - second) / (first - second)).flatten(1)
    assert torch.all((weight > 0) & (weight < 1))
    torch.testing.assert_close(weight, weight[:, :1].expand_as(weight), rtol=1e-3, atol=1e-4)


# ------------------------------------------------------------------------------------------- TPI


def test_tpi_with_eliminated_tokens_returns_only_the_kept_ones() -> None:
    torch.manual_seed(0)
    tpi = ThreeStageInteraction(embed_dim=16, width=8)
    kept_index = torch.tensor([[0, 1, 2, 3, 4, 7, 9, 19], [0, 1, 2, 3, 5, 6, 11, 12]])
    rgb_tokens = torch.randn(2, kept_index.shape[1], 16)
    tir_tokens = torch.randn(2, LAYOUT.num_tokens, 16)
    state = TemporalState.initial(2, 1)
    out = tpi(rgb_tokens, kept_index, tir_tokens, None, LAYOUT, state.alpha[:, 0], state.response_gap[:, 0])
    assert out.rgb_tokens.shape == rgb_tokens.shape
    assert out.tir_state.shape == (2, LAYOUT.num_tokens, 8)
    assert out.alpha.shape == out.response_gap.shape == (2,)

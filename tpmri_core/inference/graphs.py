"""The network as two plain-tensor modules, the form an ONNX graph (and any runtime without Python) needs.

`TemplateEncoder` embeds the template crops once per target; `TrackingStep` runs one frame with TMR's
state as explicit tensors in and out. Both compute exactly what `TPMRI.embed_template` and
`TPMRI.forward_with_template` compute; they only flatten the dataclasses into tuples of tensors.
"""

from __future__ import annotations

import torch
from torch import nn

from tpmri_core.models.tpi import TemporalState
from tpmri_core.models.tpmri import TPMRI, TemplateTokens

TEMPLATE_INPUTS = ("template_rgb", "template_tir")
TEMPLATE_OUTPUTS = ("template_tokens_rgb", "template_tokens_tir")
STEP_INPUTS = ("template_tokens_rgb", "template_tokens_tir", "search_rgb", "search_tir", "alpha", "response_gap")
STEP_OUTPUTS = ("score_logits", "size", "offset", "next_alpha", "next_response_gap")


def check_exportable(model: TPMRI) -> None:
    """The graphs carry both modalities' template tokens, so a model without TPI (no thermal path) has none."""
    if model.tpi is None:
        raise ValueError("a model built with use_tpi=False has no thermal path; run it with the torch backend")


class TemplateEncoder(nn.Module):
    """(B, 3, T, T) normalised template crops of each modality -> (B, N_template, D) tokens of each."""

    def __init__(self, model: TPMRI) -> None:
        super().__init__()
        check_exportable(model)
        self.model = model

    def forward(self, template_rgb: torch.Tensor, template_tir: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.model.embed_template(template_rgb, template_tir)
        assert tokens.tir is not None
        return tokens.rgb, tokens.tir


class TrackingStep(nn.Module):
    """One frame: template tokens, (B, 3, S, S) search crops and TMR's (B, L) state -> head maps and next state."""

    def __init__(self, model: TPMRI) -> None:
        super().__init__()
        check_exportable(model)
        self.model = model

    def forward(
        self,
        template_tokens_rgb: torch.Tensor,
        template_tokens_tir: torch.Tensor,
        search_rgb: torch.Tensor,
        search_tir: torch.Tensor,
        alpha: torch.Tensor,
        response_gap: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        template = TemplateTokens(rgb=template_tokens_rgb, tir=template_tokens_tir)
        output = self.model.forward_with_template(template, search_rgb, search_tir, TemporalState(alpha, response_gap))
        maps = output.maps
        return maps.score_logits, maps.size, maps.offset, output.state.alpha, output.state.response_gap


def example_inputs(model: TPMRI, batch: int) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
    """Inputs of the right shapes for tracing: (template encoder's, tracking step's)."""
    generator = torch.Generator().manual_seed(0)
    template = tuple(torch.randn(batch, 3, model.template_size, model.template_size, generator=generator) for _ in range(2))
    with torch.no_grad():
        tokens = TemplateEncoder(model).eval()(*template)
    search = tuple(torch.randn(batch, 3, model.search_size, model.search_size, generator=generator) for _ in range(2))
    state = model.initial_state(batch)
    return template, (*tokens, *search, state.alpha.cpu(), state.response_gap.cpu())

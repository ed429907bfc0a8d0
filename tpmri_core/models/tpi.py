"""The three-stage progressive interaction (TPI): TMR -> CMI -> MAF, one module after every ViT block.

Design (how the paper's budget is met). The RGB image goes through the ViT once (one stream: template
and search tokens together). The thermal image is carried ViPT-style by a light path beside it: its own
patch embedding gives thermal tokens once per forward, and each TPI projects both modalities down to a
narrow width `width` (8 for the paper configuration, as ViPT's prompt blocks), where all three stages run:

  1. TMR (Eq. 1-3): each modality's search map is enhanced by EMA and pooled to a response r; the context
     z(t) = [r_rgb, r_tir, dr(t-1), alpha(t-1)] goes through a small MLP and a sigmoid to alpha(t), the
     RGB preference; RGB features are scaled by alpha, thermal ones by 1 - alpha.
  2. CMI (Eq. 4-6): multi-head cross-attention, RGB queries, thermal keys and values, residual on RGB.
  3. MAF (Eq. 7-9): pooled TMR and CMI outputs -> two-layer MLP -> softmax weights -> weighted sum.

The fused narrow features are projected back up and added to the RGB tokens (a prompt, as in ViPT), and
the reweighted thermal features are carried to the next TPI, so the thermal path deepens with the ViT.
At width 8 a TPI costs about 23 k parameters and 8 MFLOPs per block: 0.3 % of the parameters and 0.5 % of
the FLOPs of the ViT-B tracker, close to the paper's +0.22 % / +1.5 %.

Temporal state: alpha(t-1) and dr(t-1) are explicit tensors of shape (B, layers) in `TemporalState`,
passed in and returned by the model, never stored on a module. Gradients flow through them when a clip
is unrolled in training (the model is trained the way it is used); the tracker detaches them between frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tpmri_core.models.ema import EfficientMultiScaleAttention

ALPHA_START = 0.5


@dataclass(frozen=True)
class TemporalState:
    """TMR's memory between frames, per batch element and per TPI layer.

    Args:
        alpha: (B, L) RGB preference of the previous frame.
        response_gap: (B, L) previous response discrepancy dr = r_rgb - r_tir.
    """

    alpha: torch.Tensor
    response_gap: torch.Tensor

    @classmethod
    def initial(
        cls, batch: int, layers: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
    ) -> "TemporalState":
        """The state at the start of a sequence: no preference, no discrepancy."""
        return cls(
            alpha=torch.full((batch, layers), ALPHA_START, device=device, dtype=dtype),
            response_gap=torch.zeros(batch, layers, device=device, dtype=dtype),
        )

    def reset(self) -> "TemporalState":
        """A start state with this state's shape, for every layer at once."""
        return TemporalState.initial(*self.alpha.shape, device=self.alpha.device, dtype=self.alpha.dtype)

    def detach(self) -> "TemporalState":
        return TemporalState(self.alpha.detach(), self.response_gap.detach())

    def select(self, mask: torch.Tensor, fallback: "TemporalState") -> "TemporalState":
        """Per batch element: this state where mask is True, else fallback's."""
        keep = mask.view(-1, 1)
        return TemporalState(
            torch.where(keep, self.alpha, fallback.alpha),
            torch.where(keep, self.response_gap, fallback.response_gap),
        )


@dataclass(frozen=True)
class TokenLayout:
    """Where template and search tokens sit in the token sequence, and their map sizes."""

    template_hw: tuple[int, int]
    search_hw: tuple[int, int]

    @property
    def num_template(self) -> int:
        return self.template_hw[0] * self.template_hw[1]

    @property
    def num_search(self) -> int:
        return self.search_hw[0] * self.search_hw[1]

    @property
    def num_tokens(self) -> int:
        return self.num_template + self.num_search

    def search_map(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, N, C) tokens -> (B, C, Hs, Ws) search map."""
        search = tokens[:, self.num_template :]
        return search.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], *self.search_hw)


def grid_position_code(layout: TokenLayout, dim: int) -> torch.Tensor:
    """(N, dim) 2-D sine/cosine code of every token's place in its grid (template, then search).

    Coordinates are in tokens from each grid's centre. Template and search crops are both centred on the
    target and have the same pixels per token in the image, so equal codes mean the same place relative to
    the target. The dot product of two codes is largest for the same place and falls with distance, so
    adding the code to queries and keys gives cross-attention a pull towards the same position.
    """
    if dim % 4:
        raise ValueError(f"position code width must be a multiple of 4, got {dim}")
    num_frequencies = dim // 4
    wavelengths = 2.0 * max(layout.search_hw) / 2.0 ** torch.arange(num_frequencies)
    frequencies = 2 * math.pi / wavelengths

    def grid(hw: tuple[int, int]) -> torch.Tensor:
        ys, xs = torch.meshgrid(torch.arange(hw[0]) - (hw[0] - 1) / 2, torch.arange(hw[1]) - (hw[1] - 1) / 2, indexing="ij")
        angles = [coordinate.reshape(-1, 1).float() * frequencies for coordinate in (xs, ys)]
        return torch.cat([torch.cat([a.sin(), a.cos()], dim=1) for a in angles], dim=1)

    return torch.cat([grid(layout.template_hw), grid(layout.search_hw)], dim=0)


class TemporalModalityReweighting(nn.Module):
    """TMR: decide how much to trust each modality now, from their responses and the previous decision.

    Args:
        width: channels of the narrow features.
        hidden: hidden units of the preference MLP.
        ema_groups: EMA channel groups.
        use_history: feed dr(t-1) and alpha(t-1) into the MLP (the paper); False is the "TMR without
            history" ablation, which sees only the current responses.
    """

    def __init__(self, width: int, hidden: int = 16, ema_groups: int = 2, use_history: bool = True) -> None:
        super().__init__()
        self.use_history = use_history
        self.ema_rgb = EfficientMultiScaleAttention(width, ema_groups)
        self.ema_tir = EfficientMultiScaleAttention(width, ema_groups)
        self.preference = nn.Sequential(nn.Linear(4 if use_history else 2, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.preference[2].bias)

    def forward(
        self,
        rgb: torch.Tensor,
        tir: torch.Tensor,
        layout: TokenLayout,
        alpha_prev: torch.Tensor,
        response_gap_prev: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reweight (B, N, C) token features; returns rgb, tir, alpha (B,), response gap (B,)."""
        response_rgb = self.ema_rgb(layout.search_map(rgb)).mean(dim=(1, 2, 3))
        response_tir = self.ema_tir(layout.search_map(tir)).mean(dim=(1, 2, 3))
        if self.use_history:
            context = torch.stack([response_rgb, response_tir, response_gap_prev, alpha_prev], dim=1)
        else:
            context = torch.stack([response_rgb, response_tir], dim=1)
        alpha = self.preference(context).squeeze(1).sigmoid()
        weight = alpha.view(-1, 1, 1)
        return weight * rgb, (1 - weight) * tir, alpha, response_rgb - response_tir


class CrossModalityInteraction(nn.Module):
    """CMI: RGB tokens query thermal tokens (multi-head cross-attention) and keep a residual.

    Args:
        width: channels of the narrow features; must be divisible by num_heads.
        num_heads: attention heads; each is scaled by its own head_dim ** -0.5.
        bidirectional: also let thermal query RGB (the ablation the paper found worse).
        positional: add a scaled grid position code (see grid_position_code) to the RGB queries and thermal
            keys. Not in the paper. Without it, the attention can only match on content: when RGB goes dark,
            TMR scales the RGB features towards zero, every query becomes the same vector, and each RGB token
            receives the same average of the thermal tokens, so nothing tells the tracker where the hot
            target is. With it, a blank query still attends to the thermal tokens around its own position.
    """

    def __init__(self, width: int, num_heads: int = 2, bidirectional: bool = False, positional: bool = False) -> None:
        super().__init__()
        if width % num_heads != 0:
            raise ValueError(f"CMI heads ({num_heads}) must divide width ({width})")
        self.num_heads = num_heads
        # One learned scale per CMI. At 3 (and 8 channels per head) a blank query's attention falls by about
        # 4 logits from its own position to 3 tokens away: thermal features stay local without drowning content.
        self.position_scale = nn.Parameter(torch.tensor(3.0)) if positional else None
        self.query_rgb = nn.Linear(width, width)
        self.key_tir = nn.Linear(width, width)
        self.value_tir = nn.Linear(width, width)
        self.bidirectional = bidirectional
        if bidirectional:
            self.query_tir = nn.Linear(width, width)
            self.key_rgb = nn.Linear(width, width)
            self.value_rgb = nn.Linear(width, width)

    def _attend(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        batch, length, width = query.shape
        heads = self.num_heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(batch, -1, heads, width // heads).transpose(1, 2)

        attended = F.scaled_dot_product_attention(split(query), split(key), split(value))
        return attended.transpose(1, 2).reshape(batch, length, width)

    def forward(
        self, rgb: torch.Tensor, tir: torch.Tensor, position_code: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (enhanced rgb, thermal): thermal is unchanged unless bidirectional.

        position_code: (N, width) for a positional CMI: grid_position_code of one head's width, repeated for each head.
        """
        query, key = self.query_rgb(rgb), self.key_tir(tir)
        if self.position_scale is not None:
            if position_code is None:
                raise ValueError("a positional CMI needs the grid position code")
            code = self.position_scale * position_code.to(query.dtype)
            query, key = query + code, key + code
        enhanced_rgb = rgb + self._attend(query, key, self.value_tir(tir))
        if not self.bidirectional:
            return enhanced_rgb, tir
        enhanced_tir = tir + self._attend(self.query_tir(tir), self.key_rgb(rgb), self.value_rgb(rgb))
        return enhanced_rgb, enhanced_tir


class ModalityAwareFusion(nn.Module):
    """MAF: a global gate between the TMR output and the CMI output, from their pooled descriptors."""

    def __init__(self, width: int, hidden: int | None = None) -> None:
        super().__init__()
        hidden = hidden or max(2, width // 4)
        self.gate = nn.Sequential(nn.Linear(2 * width, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, reweighted_rgb: torch.Tensor, interacted: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([reweighted_rgb.mean(dim=1), interacted.mean(dim=1)], dim=1)
        weights = self.gate(pooled).softmax(dim=1)
        return weights[:, 0, None, None] * reweighted_rgb + weights[:, 1, None, None] * interacted


@dataclass(frozen=True)
class TPIOutput:
    rgb_tokens: torch.Tensor
    tir_state: torch.Tensor
    alpha: torch.Tensor
    response_gap: torch.Tensor


class ThreeStageInteraction(nn.Module):
    """One TPI after one ViT block: down-project, TMR -> CMI -> MAF, project up and add to the RGB tokens.

    Args:
        embed_dim: width of the ViT tokens.
        width: width at which the three stages run.
        cmi_heads: CMI attention heads.
        use_tmr / use_cmi / use_maf: the ablations "without TMR / CMI / MAF". Without TMR, alpha stays
            0.5 and nothing is reweighted; without CMI, the thermal features are added to the RGB ones
            (plain element-wise fusion) so the thermal modality still reaches the stream; without MAF,
            the CMI output is used as it is.
        tmr_history: TMR sees alpha(t-1) and dr(t-1) (False: the "without history" ablation).
        bidirectional_cmi: thermal also attends to RGB.
        positional_cmi: CMI adds a grid position code to its queries and keys (see CrossModalityInteraction).
    """

    def __init__(
        self,
        embed_dim: int,
        width: int = 8,
        cmi_heads: int = 2,
        use_tmr: bool = True,
        use_cmi: bool = True,
        use_maf: bool = True,
        tmr_history: bool = True,
        bidirectional_cmi: bool = False,
        positional_cmi: bool = False,
    ) -> None:
        super().__init__()
        self.down_rgb = nn.Sequential(nn.LayerNorm(embed_dim), nn.Linear(embed_dim, width))
        self.down_tir = nn.Sequential(nn.LayerNorm(embed_dim), nn.Linear(embed_dim, width))
        self.tmr = TemporalModalityReweighting(width, use_history=tmr_history) if use_tmr else None
        self.cmi = CrossModalityInteraction(width, cmi_heads, bidirectional_cmi, positional_cmi) if use_cmi else None
        self.maf = ModalityAwareFusion(width) if use_maf else None
        self.up = nn.Linear(width, embed_dim)

    def forward(
        self,
        rgb_tokens: torch.Tensor,
        kept_index: torch.Tensor | None,
        tir_tokens: torch.Tensor,
        tir_state: torch.Tensor | None,
        layout: TokenLayout,
        alpha_prev: torch.Tensor,
        response_gap_prev: torch.Tensor,
        position_code: torch.Tensor | None = None,
    ) -> TPIOutput:
        """Args:
        rgb_tokens: (B, N_kept, D) RGB tokens after a ViT block (some search tokens may be eliminated).
        kept_index: (B, N_kept) position of each kept token in the full layout, or None when all are kept.
        tir_tokens: (B, N, D) thermal patch tokens, full layout.
        tir_state: (B, N, width) thermal features carried from the previous TPI, or None at the first.
        position_code: (N, width) grid position code for a positional CMI (see CrossModalityInteraction.forward).
        """
        rgb = self.down_rgb(rgb_tokens)
        if kept_index is not None:
            full = rgb.new_zeros(rgb.shape[0], layout.num_tokens, rgb.shape[2])
            rgb = full.scatter(1, kept_index.unsqueeze(-1).expand_as(rgb), rgb)
        tir = self.down_tir(tir_tokens)
        if tir_state is not None:
            tir = tir + tir_state

        if self.tmr is not None:
            rgb, tir, alpha, response_gap = self.tmr(rgb, tir, layout, alpha_prev, response_gap_prev)
        else:
            alpha = torch.full_like(alpha_prev, ALPHA_START)
            response_gap = torch.zeros_like(response_gap_prev)

        if self.cmi is not None:
            interacted, tir = self.cmi(rgb, tir, position_code)
        else:
            interacted = rgb + tir
        fused = self.maf(rgb, interacted) if self.maf is not None else interacted

        if kept_index is not None:
            fused = fused.gather(1, kept_index.unsqueeze(-1).expand(-1, -1, fused.shape[2]))
        return TPIOutput(rgb_tokens + self.up(fused), tir, alpha, response_gap)

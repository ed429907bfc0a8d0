"""The TPMRI network: a one-stream ViT over template and search tokens, a TPI after every block, a centre head.

Models compute; the tracker does geometry. `forward` takes normalised image tensors and the temporal
state and returns the head's maps, the per-layer alpha and the next state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import timm
import torch
from torch import nn

from tpmri_core.models.head import CenterHead, HeadMaps
from tpmri_core.models.stems import build_stem
from tpmri_core.models.tpi import TemporalState, ThreeStageInteraction, TokenLayout, grid_position_code


@dataclass(frozen=True)
class TemplateTokens:
    """Embedded template tokens (B, N_template, D) of each modality; `tir` is None without TPI."""

    rgb: torch.Tensor
    tir: torch.Tensor | None


@dataclass(frozen=True)
class TPMRIOutput:
    maps: HeadMaps
    alpha: torch.Tensor  # (B, L): RGB preference of every TPI layer
    state: TemporalState


def _block_with_attention(block: nn.Module, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a timm ViT block and also return its attention probabilities (B, heads, N, N).

    The fused attention kernel does not expose them, and candidate elimination needs them.
    """
    attention = block.attn
    batch, length, channels = tokens.shape
    normed = block.norm1(tokens)
    qkv = attention.qkv(normed).reshape(batch, length, 3, attention.num_heads, channels // attention.num_heads)
    query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    query, key = attention.q_norm(query), attention.k_norm(key)
    probabilities = ((query * attention.scale) @ key.transpose(-2, -1)).softmax(dim=-1)
    mixed = (probabilities @ value).transpose(1, 2).reshape(batch, length, channels)
    mixed = attention.proj(attention.norm(mixed))
    tokens = tokens + block.drop_path1(block.ls1(mixed))
    tokens = tokens + block.drop_path2(block.ls2(block.mlp(block.norm2(tokens))))
    return tokens, probabilities


class TPMRI(nn.Module):
    """TPMRI tracker network.

    Args:
        vit_name: timm ViT whose blocks and final norm are composed here (built with pretrained=False).
        embed_dim / depth / num_heads: overrides of that ViT's width, number of blocks and heads.
        stem: 'patch' (ViT patchify; loads MAE/OSTrack/ViPT weights) or 'conv' (trains better from scratch).
        stride: pixels per token.
        template_size / search_size: square crop sizes in pixels (2x and 4x the target's context).
        head_channels: width of the centre head's first convolution.
        tpi_width: width at which the TPI stages run.
        cmi_heads: CMI attention heads.
        use_tpi: False builds the same tracker without TPI modules (the thermal tokens then go unused),
            the reference for TPI's cost.
        use_tmr / use_cmi / use_maf / tmr_history / bidirectional_cmi: TPI ablations.
        positional_cmi: CMI queries and keys carry a grid position code, so thermal features still reach
            the RGB token at their own place when RGB goes dark (not in the paper; see tpi.CrossModalityInteraction).
        ce_layers: blocks after which search tokens are eliminated (OSTrack's candidate elimination).
        ce_keep_ratio: fraction of the remaining search tokens kept at each of those blocks.
        drop_path_rate: stochastic depth for training.
        tir_in_chans: channels of the thermal input (3: grey replicated, as RGB-T datasets store it).
    """

    def __init__(
        self,
        vit_name: str = "vit_base_patch16_224",
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        stem: str = "patch",
        stride: int = 16,
        template_size: int = 128,
        search_size: int = 256,
        head_channels: int = 256,
        tpi_width: int = 8,
        cmi_heads: int = 2,
        use_tpi: bool = True,
        use_tmr: bool = True,
        use_cmi: bool = True,
        use_maf: bool = True,
        tmr_history: bool = True,
        bidirectional_cmi: bool = False,
        positional_cmi: bool = False,
        ce_layers: tuple[int, ...] = (),
        ce_keep_ratio: float = 0.7,
        drop_path_rate: float = 0.0,
        tir_in_chans: int = 3,
    ) -> None:
        super().__init__()
        if template_size % stride or search_size % stride:
            raise ValueError(f"template ({template_size}) and search ({search_size}) sizes must be multiples of {stride}")
        if any(not 0 <= layer < depth for layer in ce_layers):
            raise ValueError(f"ce_layers {ce_layers} must lie within 0..{depth - 1}")
        if not 0 < ce_keep_ratio <= 1:
            raise ValueError(f"ce_keep_ratio must be in (0, 1], got {ce_keep_ratio}")
        self.model_args = {k: v for k, v in locals().items() if k not in ("self", "__class__")}
        self.model_args["ce_layers"] = list(ce_layers)

        vit = timm.create_model(
            vit_name,
            pretrained=False,
            num_classes=0,
            embed_dim=embed_dim,
            depth=depth,
            num_heads=num_heads,
            drop_path_rate=drop_path_rate,
        )
        self.blocks = vit.blocks
        self.norm = vit.norm
        self.rgb_stem = build_stem(stem, embed_dim, stride)
        # Without TPI nothing reads thermal tokens, so the reference model carries no thermal stem.
        self.tir_stem = build_stem(stem, embed_dim, stride, tir_in_chans) if use_tpi else None
        self.layout = TokenLayout(
            template_hw=(template_size // stride, template_size // stride),
            search_hw=(search_size // stride, search_size // stride),
        )
        self.pos_template = nn.Parameter(torch.zeros(1, self.layout.num_template, embed_dim))
        self.pos_search = nn.Parameter(torch.zeros(1, self.layout.num_search, embed_dim))
        nn.init.trunc_normal_(self.pos_template, std=0.02)
        nn.init.trunc_normal_(self.pos_search, std=0.02)
        self.tpi = (
            nn.ModuleList(
                ThreeStageInteraction(
                    embed_dim,
                    tpi_width,
                    cmi_heads,
                    use_tmr=use_tmr,
                    use_cmi=use_cmi,
                    use_maf=use_maf,
                    tmr_history=tmr_history,
                    bidirectional_cmi=bidirectional_cmi,
                    positional_cmi=positional_cmi,
                )
                for _ in range(depth)
            )
            if use_tpi
            else None
        )
        if use_tpi and use_cmi and positional_cmi:
            # Every CMI head gets the same code; tiled once here rather than in every forward.
            code = grid_position_code(self.layout, tpi_width // cmi_heads).repeat(1, cmi_heads)
            self.register_buffer("cmi_position_code", code, persistent=False)
        else:
            self.cmi_position_code = None
        self.head = CenterHead(embed_dim, head_channels)
        self.ce_layers = tuple(ce_layers)
        self.ce_keep_ratio = ce_keep_ratio
        self.template_size = template_size
        self.search_size = search_size
        self.stride = stride

    @property
    def num_layers(self) -> int:
        return len(self.blocks)

    def initial_state(self, batch: int) -> TemporalState:
        reference = self.pos_search
        return TemporalState.initial(batch, self.num_layers, device=reference.device, dtype=reference.dtype)

    def embed_template(self, template_rgb: torch.Tensor, template_tir: torch.Tensor) -> TemplateTokens:
        """Template tokens of both modalities; a tracker computes them once per target."""
        tir = self.tir_stem(template_tir) + self.pos_template if self.tpi is not None else None
        return TemplateTokens(rgb=self.rgb_stem(template_rgb) + self.pos_template, tir=tir)

    def _eliminate(
        self, tokens: torch.Tensor, kept_index: torch.Tensor, probabilities: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Keep the search tokens the template attends to most (template tokens are always kept)."""
        num_template = self.layout.num_template
        attention_to_search = probabilities[:, :, :num_template, num_template:].mean(dim=(1, 2))
        num_keep = math.ceil(self.ce_keep_ratio * attention_to_search.shape[1])
        top = attention_to_search.topk(num_keep, dim=1).indices.sort(dim=1).values + num_template
        template_positions = torch.arange(num_template, device=tokens.device).expand(tokens.shape[0], -1)
        keep = torch.cat([template_positions, top], dim=1)
        tokens = tokens.gather(1, keep.unsqueeze(-1).expand(-1, -1, tokens.shape[2]))
        return tokens, kept_index.gather(1, keep)

    def forward(
        self,
        template_rgb: torch.Tensor,
        template_tir: torch.Tensor,
        search_rgb: torch.Tensor,
        search_tir: torch.Tensor,
        state: TemporalState | None = None,
    ) -> TPMRIOutput:
        """Args: (B, 3, template_size, template_size) and (B, 3, search_size, search_size) normalised images;
        `state` from the previous frame of the same sequences (None: a new sequence)."""
        return self.forward_with_template(self.embed_template(template_rgb, template_tir), search_rgb, search_tir, state)

    def forward_with_template(
        self,
        template: TemplateTokens,
        search_rgb: torch.Tensor,
        search_tir: torch.Tensor,
        state: TemporalState | None = None,
    ) -> TPMRIOutput:
        """`forward` with the template already embedded (see `embed_template`)."""
        batch = search_rgb.shape[0]
        if state is None:
            state = self.initial_state(batch)
        tokens = torch.cat([template.rgb, self.rgb_stem(search_rgb) + self.pos_search], dim=1)
        tir_tokens = None
        if self.tpi is not None:
            tir_tokens = torch.cat([template.tir, self.tir_stem(search_tir) + self.pos_search], dim=1)
        full_index = torch.arange(self.layout.num_tokens, device=tokens.device).expand(batch, -1)
        kept_index = full_index
        tir_state = None
        alphas, gaps = [], []
        for layer, block in enumerate(self.blocks):
            if layer in self.ce_layers:
                tokens, probabilities = _block_with_attention(block, tokens)
                tokens, kept_index = self._eliminate(tokens, kept_index, probabilities)
            else:
                tokens = block(tokens)
            if self.tpi is None:
                continue
            eliminated = kept_index.shape[1] < self.layout.num_tokens
            out = self.tpi[layer](
                tokens,
                kept_index if eliminated else None,
                tir_tokens,
                tir_state,
                self.layout,
                state.alpha[:, layer],
                state.response_gap[:, layer],
                self.cmi_position_code,
            )
            tokens, tir_state = out.rgb_tokens, out.tir_state
            alphas.append(out.alpha)
            gaps.append(out.response_gap)

        tokens = self.norm(tokens)
        search_tokens = tokens.new_zeros(batch, self.layout.num_tokens, tokens.shape[2])
        search_tokens = search_tokens.scatter(1, kept_index.unsqueeze(-1).expand_as(tokens), tokens)
        search_map = self.layout.search_map(search_tokens)
        maps = self.head(search_map)
        if alphas:
            next_state = TemporalState(torch.stack(alphas, dim=1), torch.stack(gaps, dim=1))
        else:
            next_state = state
        return TPMRIOutput(maps=maps, alpha=next_state.alpha, state=next_state)

"""Named TPMRI variants: functions that only set constructor arguments (as timm's registered models do)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tpmri_core.models.tpmri import TPMRI

_VARIANTS: dict[str, Callable[..., dict[str, Any]]] = {}
DEFAULT_VARIANT = "tpmri-tiny-real"


def register_variant(name: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    def decorator(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        _VARIANTS[name] = function
        return function

    return decorator


@register_variant("tpmri-base")
def _tpmri_base() -> dict[str, Any]:
    """The paper: ViT-B/16, template 128 / search 256, a TPI after each of 12 blocks, ViPT's candidate
    elimination (keep 70 % of search tokens after blocks 3, 6, 9)."""
    return dict(
        vit_name="vit_base_patch16_224", embed_dim=768, depth=12, num_heads=12, stem="patch",
        template_size=128, search_size=256, head_channels=256, tpi_width=8, cmi_heads=2,
        ce_layers=(3, 6, 9), ce_keep_ratio=0.7,
    )


@register_variant("tpmri-small")
def _tpmri_small() -> dict[str, Any]:
    """ViT-S/16 at the paper's crop sizes: a lighter GPU model."""
    return dict(
        vit_name="vit_small_patch16_224", embed_dim=384, depth=12, num_heads=6, stem="patch",
        template_size=128, search_size=256, head_channels=128, tpi_width=8, cmi_heads=2,
        ce_layers=(3, 6, 9), ce_keep_ratio=0.7,
    )


@register_variant("tpmri-tiny")
def _tpmri_tiny() -> dict[str, Any]:
    """The CPU default: ViT-Ti width, 6 blocks, a convolutional stem, template 96 / search 192
    (36 + 144 tokens), so that a full tracking step runs at 25+ FPS on two CPU cores. CMI's position code
    lets it find the target from thermal alone when RGB goes dark (see tpi.CrossModalityInteraction)."""
    return dict(
        vit_name="vit_tiny_patch16_224", embed_dim=192, depth=6, num_heads=3, stem="conv",
        template_size=96, search_size=192, head_channels=64, tpi_width=16, cmi_heads=2,
        positional_cmi=True, ce_layers=(), ce_keep_ratio=1.0,
    )


@register_variant("tpmri-tiny-real")
def _tpmri_tiny_real() -> dict[str, Any]:
    """tpmri-tiny on NanoTrack v2's frozen backbone (real-video features, see models.real_features): the
    same transformer and head, tokens from features that were learnt on real pictures. Its backbone weights
    come with a checkpoint (or `tpmri stem-transfer`), never from a random start."""
    return dict(_tpmri_tiny(), stem="real")


def list_variants() -> list[str]:
    return sorted(_VARIANTS)


def variant_args(name: str, **overrides: Any) -> dict[str, Any]:
    """The constructor arguments of a variant, with overrides (e.g. an ablation) applied."""
    if name not in _VARIANTS:
        raise KeyError(f"unknown variant {name!r}; choose one of {', '.join(list_variants())}")
    args = _VARIANTS[name]()
    args.update(overrides)
    return args


def variant_name(name: str, **overrides: Any) -> str:
    """The name a checkpoint records: a registered variant whose arguments equal `name` with `overrides`
    (`tpmri-tiny` with `stem="real"` is `tpmri-tiny-real`), else `name` itself."""
    args = variant_args(name, **overrides)
    if overrides:
        for other in list_variants():
            if variant_args(other) == args:
                return other
    return name


def build_model(name: str = DEFAULT_VARIANT, **overrides: Any) -> TPMRI:
    """A freshly initialised model of a named variant."""
    return TPMRI(**variant_args(name, **overrides))

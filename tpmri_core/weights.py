"""Which model a command runs: a weights file the user names, or the bundled default weights."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tpmri_core.errors import UserError
from tpmri_core.models.checkpoint import load_checkpoint
from tpmri_core.models.tpmri import TPMRI
from tpmri_core.models.variants import DEFAULT_VARIANT, build_model, list_variants

DEFAULT_WEIGHTS_NAME = "tpmri-tiny-synth.safetensors"


def default_weights_path() -> Path:
    """Where the bundled weights of the default variant live (they may not exist in a bare checkout)."""
    return Path(str(resources.files("tpmri_assets").joinpath(DEFAULT_WEIGHTS_NAME)))


@dataclass(frozen=True)
class ResolvedModel:
    model: TPMRI
    variant: str
    weights: Path | None  # None: randomly initialised

    def describe(self) -> str:
        source = self.weights.name if self.weights is not None else "untrained"
        return f"{self.variant} ({source})"


def check_variant(variant: str) -> str:
    if variant not in list_variants():
        raise UserError(f"unknown variant {variant!r}; choose one of {', '.join(list_variants())}")
    return variant


def resolve_model(variant: str | None = None, weights: Path | str | None = None, allow_untrained: bool = True) -> ResolvedModel:
    """The model for a command.

    With `weights`, that file decides the variant (a different `variant` is an error). Without, the default
    variant uses the bundled weights; other variants, or a checkout without the bundled file, run untrained
    (with a warning on stderr) when `allow_untrained`, which suits speed measurements only.
    """
    if variant is not None:
        check_variant(variant)
    if weights is not None:
        loaded = load_checkpoint(weights)
        if variant is not None and loaded.variant and loaded.variant != variant:
            raise UserError(f"weights file {weights} holds variant {loaded.variant!r}, not {variant!r}")
        return ResolvedModel(loaded.model, loaded.variant or (variant or "custom"), Path(weights))
    variant = variant or DEFAULT_VARIANT
    bundled = default_weights_path()
    if variant == DEFAULT_VARIANT and bundled.is_file():
        return ResolvedModel(load_checkpoint(bundled).model, variant, bundled)
    if not allow_untrained:
        raise UserError(f"no weights for variant {variant!r}: pass --weights FILE")
    print(f"warning: no weights given for {variant}; using an untrained model", file=sys.stderr)
    return ResolvedModel(build_model(variant), variant, None)

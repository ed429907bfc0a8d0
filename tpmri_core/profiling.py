"""Parameter and FLOP counts as tracking papers report them (one multiply-add = one FLOP, like thop/fvcore)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from tpmri_core.models.tpmri import TPMRI


@dataclass(frozen=True)
class ModelProfile:
    """Counts for one forward pass at the model's own template and search sizes (batch 1)."""

    variant: str
    params_m: float
    gflops: float
    tpi_params_m: float
    tpi_gflops: float

    def as_json(self) -> dict[str, float | str]:
        return {
            "variant": self.variant,
            "params_m": round(self.params_m, 4),
            "gflops": round(self.gflops, 4),
            "tpi_params_m": round(self.tpi_params_m, 4),
            "tpi_gflops": round(self.tpi_gflops, 4),
        }


def _multiply_adds_by_module(model: TPMRI) -> tuple[int, int]:
    """(whole model, TPI modules) multiply-adds of one forward pass on random crops."""
    template = torch.randn(1, 3, model.template_size, model.template_size)
    search = torch.randn(1, 3, model.search_size, model.search_size)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(template, template, search, search)
    # torch counts a multiply-add as two FLOPs; papers count it as one.
    total = counter.get_total_flops() // 2
    per_module = counter.get_flop_counts()
    tpi_modules = [name for name in per_module if re.fullmatch(r".*\.tpi\.\d+", name)]
    tpi = sum(sum(per_module[name].values()) for name in tpi_modules) // 2
    return total, tpi


def profile_model(model: TPMRI, variant: str = "") -> ModelProfile:
    model = model.eval()
    params = sum(p.numel() for p in model.parameters())
    tpi_params = sum(p.numel() for p in model.tpi.parameters()) if model.tpi is not None else 0
    total, tpi = _multiply_adds_by_module(model)
    return ModelProfile(variant, params / 1e6, total / 1e9, tpi_params / 1e6, tpi / 1e9)

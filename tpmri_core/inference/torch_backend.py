"""The network run by PyTorch: eager on a CPU; on CUDA with bf16/fp16 autocast and optionally CUDA graphs."""

from __future__ import annotations

import contextlib

import torch

from tpmri_core.models.tpi import TemporalState
from tpmri_core.models.tpmri import TPMRI, TemplateTokens, TPMRIOutput

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """'auto': bf16 on a CUDA GPU that supports it, else fp16 on CUDA; fp32 (no autocast) on a CPU."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} must be auto, fp32, bf16 or fp16")
    if device.type != "cuda" or precision == "fp32":
        return None
    if precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if precision == "bf16" else torch.float16


class TorchBackend:
    """PyTorch backend.

    Args:
        model: the network, on `device`, in eval mode.
        precision: see `autocast_dtype`.
        compile_model: torch.compile the step; mode 'reduce-overhead' records CUDA graphs on a GPU, so the
            step's ~100 small kernels launch as one graph (a launch-bound step is otherwise far below its FLOPs).
    """

    name = "torch"

    def __init__(self, model: TPMRI, device: torch.device, precision: str = "auto", compile_model: bool = False) -> None:
        self.model = model
        self.device = device
        self.autocast_dtype = autocast_dtype(device, precision)
        self.compiled = compile_model
        forward = model.forward_with_template
        self._forward = torch.compile(forward, mode="reduce-overhead") if compile_model else forward
        self.threads = torch.get_num_threads() if device.type == "cpu" else None

    def _autocast(self) -> contextlib.AbstractContextManager[None]:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)

    @torch.inference_mode()
    def embed_template(self, template_rgb: torch.Tensor, template_tir: torch.Tensor) -> TemplateTokens:
        with self._autocast():
            return self.model.embed_template(template_rgb, template_tir)

    @torch.inference_mode()
    def step(
        self, template: TemplateTokens, search_rgb: torch.Tensor, search_tir: torch.Tensor, state: TemporalState
    ) -> TPMRIOutput:
        if self.compiled and self.device.type == "cuda":
            # A CUDA graph replays into the same output buffers: mark the step and copy the state out,
            # since the tracker feeds it back in next frame.
            torch.compiler.cudagraph_mark_step_begin()
        with self._autocast():
            output = self._forward(template, search_rgb, search_tir, state)
        if self.compiled:
            cloned = TemporalState(output.state.alpha.clone(), output.state.response_gap.clone())
            output = TPMRIOutput(maps=output.maps, alpha=cloned.alpha, state=cloned)
        return output

"""The interface every inference backend offers the tracker, and the choice of backend for a device.

A backend does two things: embed the template crops once per target, and run one tracking step with
TMR's state passed in and returned (never kept inside). The tracker does everything else (crops,
decoding, geometry), so switching backends cannot change how boxes are made, only how fast the
network's numbers come.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Protocol

import torch

from tpmri_core.inference import BACKEND_NAMES
from tpmri_core.models.tpi import TemporalState
from tpmri_core.models.tpmri import TPMRI, TemplateTokens, TPMRIOutput


class InferenceBackend(Protocol):
    """What the tracker needs from a backend. `name` is the backend actually running ('torch', 'onnxruntime')."""

    name: str
    threads: int | None  # CPU threads it computes on (None: not a CPU backend)

    def embed_template(self, template_rgb: torch.Tensor, template_tir: torch.Tensor) -> TemplateTokens: ...

    def step(
        self, template: TemplateTokens, search_rgb: torch.Tensor, search_tir: torch.Tensor, state: TemporalState
    ) -> TPMRIOutput: ...


def onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def resolve_backend_name(backend: str, device: torch.device) -> str:
    """The backend to build for `backend` on `device`.

    'auto' is the fastest measured here: ONNX Runtime on a CPU (about 2x PyTorch eager on two cores, whose
    per-operator overhead dominates this small model), PyTorch on CUDA (its bf16 autocast and CUDA graphs;
    ONNX Runtime's GPU providers are there with --backend onnxruntime but were not measured). Without
    onnxruntime installed, both 'auto' and 'onnxruntime' fall back to PyTorch with a one-line notice.
    """
    if backend not in BACKEND_NAMES:
        raise ValueError(f"backend {backend!r} must be one of {', '.join(BACKEND_NAMES)}")
    if backend == "auto":
        backend = "onnxruntime" if device.type == "cpu" else "torch"
    if backend == "onnxruntime" and not onnxruntime_available():
        print("notice: onnxruntime is not installed, so the model runs in PyTorch (pip install onnxruntime: "
              "about 2x faster on a CPU)", file=sys.stderr)
        return "torch"
    return backend


def create_backend(
    backend: str,
    model: TPMRI,
    device: torch.device,
    batch: int,
    precision: str = "auto",
    compile_model: bool = False,
    threads: int | None = None,
) -> InferenceBackend:
    """Build the backend `resolve_backend_name` picks for `backend` on `device`.

    Args:
        model: the network with its weights loaded, already on `device`.
        batch: search crops per step (2 with mirror averaging); ONNX graphs are built for a fixed batch.
        precision / compile_model: PyTorch's autocast precision and torch.compile (see TorchBackend).
        threads: ONNX Runtime's intra-op threads (None: torch's current thread count). PyTorch's threads
            are process-wide and set by the caller (torch.set_num_threads).
    """
    name = resolve_backend_name(backend, device)
    if name == "onnxruntime" and backend == "auto" and model.tpi is None:
        name = "torch"  # the graphs need the thermal path; the no-TPI ablation stays in PyTorch
    if name == "onnxruntime":
        if precision not in ("auto", "fp32"):
            raise ValueError(f"precision {precision!r} is PyTorch's (CUDA autocast); the onnxruntime backend runs fp32")
        from tpmri_core.inference.onnxruntime_backend import OnnxRuntimeBackend

        return OnnxRuntimeBackend.from_model(model, device, batch, threads=threads)
    from tpmri_core.inference.torch_backend import TorchBackend

    return TorchBackend(model, device, precision=precision, compile_model=compile_model)

"""The network run by ONNX Runtime from the cached graphs: about 2x PyTorch eager on a 2-core CPU.

This model is small (0.76 GFLOPs a step for tpmri-tiny) and made of many small operators, so PyTorch
eager spends most of a step dispatching them; ONNX Runtime plans the static graph once, fuses operators
and reuses its buffers. It picks its CPU kernels (AVX2, AVX-512, AMX) itself at run time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from tpmri_core.inference.onnx_cache import GraphSettings, cached_graphs
from tpmri_core.inference.onnx_export import ExportedGraphs
from tpmri_core.models.head import HeadMaps
from tpmri_core.models.tpi import TemporalState
from tpmri_core.models.tpmri import TPMRI, TemplateTokens, TPMRIOutput

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


def ort_providers(device: torch.device, available: list[str]) -> list[str]:
    """Execution providers in order of preference: TensorRT, then CUDA, on a CUDA device when this
    onnxruntime build has them; the CPU provider always last (ONNX Runtime places what the others cannot run)."""
    preferred = [p for p in GPU_PROVIDERS if p in available] if device.type == "cuda" else []
    return [*preferred, "CPUExecutionProvider"]


def _session(path: Path, providers: list[str], threads: int | None):  # -> onnxruntime.InferenceSession
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    if threads is not None:
        options.intra_op_num_threads = threads
    # Idle threads sleep instead of spinning between steps, so capture and drawing keep their core.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=providers)


def _array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to("cpu", torch.float32).numpy()


class OnnxRuntimeBackend:
    """ONNX Runtime backend over a template-encoder and a tracking-step graph.

    Args:
        graphs: the two ONNX files (see onnx_export); their batch must be the tracker's.
        device: where the tracker keeps its tensors (outputs are returned there).
        threads: intra-op threads (None: ONNX Runtime's default, one per core).
    """

    name = "onnxruntime"

    def __init__(self, graphs: ExportedGraphs, device: torch.device, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.graphs = graphs
        self.device = device
        self.threads = threads
        self.providers = ort_providers(device, ort.get_available_providers())
        self._template_session = _session(graphs.template, self.providers, threads)
        self._step_session = _session(graphs.step, self.providers, threads)

    @classmethod
    def from_model(
        cls, model: TPMRI, device: torch.device, batch: int, threads: int | None = None, cache_dir: Path | None = None
    ) -> "OnnxRuntimeBackend":
        """Build (or reuse from the cache) the graphs of `model` at `batch`; `threads` None: torch's thread count."""
        graphs = cached_graphs(model, GraphSettings(batch=batch), cache_dir)
        return cls(graphs, device, threads if threads is not None else torch.get_num_threads())

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(array).to(self.device)

    def embed_template(self, template_rgb: torch.Tensor, template_tir: torch.Tensor) -> TemplateTokens:
        rgb, tir = self._template_session.run(None, {"template_rgb": _array(template_rgb), "template_tir": _array(template_tir)})
        return TemplateTokens(rgb=self._tensor(rgb), tir=self._tensor(tir))

    def step(
        self, template: TemplateTokens, search_rgb: torch.Tensor, search_tir: torch.Tensor, state: TemporalState
    ) -> TPMRIOutput:
        assert template.tir is not None
        feed = {
            "template_tokens_rgb": _array(template.rgb),
            "template_tokens_tir": _array(template.tir),
            "search_rgb": _array(search_rgb),
            "search_tir": _array(search_tir),
            "alpha": _array(state.alpha),
            "response_gap": _array(state.response_gap),
        }
        score_logits, size, offset, alpha, gap = (self._tensor(a) for a in self._step_session.run(None, feed))
        next_state = TemporalState(alpha, gap)
        return TPMRIOutput(maps=HeadMaps(score_logits=score_logits, size=size, offset=offset), alpha=alpha, state=next_state)

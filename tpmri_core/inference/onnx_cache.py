"""ONNX graphs built from the loaded weights on first use and kept in the user's cache directory.

The key covers everything the graph depends on: the weights' bytes (hashed from the loaded tensors, so an
untrained or fine-tuned model gets its own entry), the model's arguments, the batch, the opset and the
PyTorch version that traced it. Nothing is downloaded: a missing entry is exported here (a second or
two for tpmri-tiny) and written atomically, so parallel workers never read a half-written file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from tpmri_core.inference.onnx_export import DEFAULT_OPSET, ExportedGraphs, export_graphs
from tpmri_core.models.tpmri import TPMRI

GRAPH_FORMAT = 1
"""Bump when graphs.py changes what a graph computes, so older cache entries stop matching."""


@dataclass(frozen=True)
class GraphSettings:
    batch: int
    opset: int = DEFAULT_OPSET


def cache_root() -> Path:
    """$XDG_CACHE_HOME/tpmri/onnx, else ~/.cache/tpmri/onnx (the XDG base-directory default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tpmri" / "onnx"


def weights_digest(model: TPMRI) -> str:
    """SHA-256 of the model's arguments and every tensor of its state (name, dtype, shape and bytes)."""
    digest = hashlib.sha256(json.dumps(model.model_args, sort_keys=True).encode())
    for name, tensor in sorted(model.state_dict().items()):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def graph_key(model: TPMRI, settings: GraphSettings) -> str:
    recipe = {"format": GRAPH_FORMAT, "torch": torch.__version__, "weights": weights_digest(model), **asdict(settings)}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:24]


def cached_graphs(model: TPMRI, settings: GraphSettings, cache_dir: Path | None = None) -> ExportedGraphs:
    """The graphs of `model` under `settings`, exported into the cache first if they are not there."""
    folder = (cache_dir or cache_root()) / graph_key(model, settings)
    graphs = ExportedGraphs.in_folder(folder)
    if graphs.exist():
        return graphs
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        export_graphs(model, scratch, batch=settings.batch, opset=settings.opset, check=False)
        (scratch / "settings.json").write_text(json.dumps({"torch": torch.__version__, **asdict(settings)}) + "\n")
        try:
            os.replace(scratch, folder)
        except OSError:  # another process finished the same entry first
            if not graphs.exist():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return graphs

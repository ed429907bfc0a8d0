"""Writing the template encoder and the tracking step as ONNX files (for ONNX Runtime, TensorRT, OpenVINO).

The graphs have fixed shapes (batch, crop sizes): the tracker always feeds the same shapes, and a static
graph lets a runtime plan every buffer once. TMR's state is an explicit input and output, so a runtime
without Python runs the tracker's step as it is: feed last frame's `next_alpha` / `next_response_gap` back
as `alpha` / `response_gap`.
"""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from tpmri_core.inference.graphs import (
    STEP_INPUTS,
    STEP_OUTPUTS,
    TEMPLATE_INPUTS,
    TEMPLATE_OUTPUTS,
    TemplateEncoder,
    TrackingStep,
    example_inputs,
)
from tpmri_core.models.tpmri import TPMRI
from tpmri_core.tracking.preprocess import IMAGENET_MEAN, IMAGENET_STD

DEFAULT_OPSET = 17
TEMPLATE_FILE = "template_encoder.onnx"
STEP_FILE = "tracking_step.onnx"


@dataclass(frozen=True)
class ExportedGraphs:
    """The two ONNX files of one model at one batch size."""

    template: Path
    step: Path

    @classmethod
    def in_folder(cls, folder: Path) -> "ExportedGraphs":
        return cls(template=Path(folder) / TEMPLATE_FILE, step=Path(folder) / STEP_FILE)

    def exist(self) -> bool:
        return self.template.is_file() and self.step.is_file()


def graph_metadata(model: TPMRI, batch: int) -> dict[str, str]:
    """What a deployment needs beside the tensors: crop sizes, normalisation, state layout and the model's arguments."""
    return {
        "tpmri.batch": str(batch),
        "tpmri.template_size": str(model.template_size),
        "tpmri.search_size": str(model.search_size),
        "tpmri.tmr_layers": str(model.num_layers),
        "tpmri.tmr_alpha_start": "0.5",
        "tpmri.input_normalisation": json.dumps(
            {"mean_0_255": [float(v) for v in IMAGENET_MEAN], "std_0_255": [float(v) for v in IMAGENET_STD],
             "layout": "NCHW RGB; thermal grey replicated to 3 channels, normalised like RGB"}
        ),
        "tpmri.model_args": json.dumps(model.model_args, sort_keys=True),
    }


def _export_one(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], path: Path, input_names: tuple[str, ...],
                output_names: tuple[str, ...], opset: int) -> None:
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of torch.export's, which needs onnxscript; it traces
        # these fixed-shape graphs exactly (the outputs match PyTorch to 1e-5, tests/tpmri_core/test_inference.py).
        # Its tracer warnings concern candidate elimination's shape test, which is constant for fixed shapes.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            module, inputs, str(path), input_names=list(input_names), output_names=list(output_names),
            opset_version=opset, dynamo=False, do_constant_folding=True,
        )


def export_graphs(model: TPMRI, out_dir: Path | str, batch: int = 1, opset: int = DEFAULT_OPSET, check: bool = True) -> ExportedGraphs:
    """Write `template_encoder.onnx` and `tracking_step.onnx` for `batch` crops per step into `out_dir`.

    The model is exported from a CPU fp32 copy, so the caller's model (on any device) is left as it is.
    `check` runs onnx.checker on both files.
    """
    import onnx

    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    reference = model if next(model.parameters()).device.type == "cpu" else copy.deepcopy(model).cpu()
    reference = reference.float().eval()
    template_inputs, step_inputs = example_inputs(reference, batch)
    graphs = ExportedGraphs.in_folder(out_dir)
    with torch.no_grad():
        _export_one(TemplateEncoder(reference).eval(), template_inputs, graphs.template, TEMPLATE_INPUTS, TEMPLATE_OUTPUTS, opset)
        _export_one(TrackingStep(reference).eval(), step_inputs, graphs.step, STEP_INPUTS, STEP_OUTPUTS, opset)
    metadata = graph_metadata(reference, batch)
    for path in (graphs.template, graphs.step):
        proto = onnx.load(str(path))
        for key, value in metadata.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(proto, str(path))
        if check:
            onnx.checker.check_model(str(path))
    return graphs


def largest_difference_from_pytorch(model: TPMRI, graphs: ExportedGraphs, batch: int) -> float:
    """The largest absolute difference between ONNX Runtime's and PyTorch's outputs of both graphs on example inputs."""
    import onnxruntime as ort

    reference = model if next(model.parameters()).device.type == "cpu" else copy.deepcopy(model).cpu()
    template_inputs, step_inputs = example_inputs(reference.float().eval(), batch)
    with torch.no_grad():
        expected = (*TemplateEncoder(reference)(*template_inputs), *TrackingStep(reference)(*step_inputs))
    got = []
    for path, names, inputs in ((graphs.template, TEMPLATE_INPUTS, template_inputs), (graphs.step, STEP_INPUTS, step_inputs)):
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        got += session.run(None, {name: tensor.numpy() for name, tensor in zip(names, inputs)})
    return max(float(abs(a - b.numpy()).max()) for a, b in zip(got, expected))

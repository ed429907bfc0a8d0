"""Inference backends: the ONNX graphs equal PyTorch, the cache is keyed by the weights, the backends track alike."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tpmri_core.data.synth import generate_sequence
from tpmri_core.data.synth.config import SynthConfig
from tpmri_core.evaluation.box_errors import overlaps
from tpmri_core.inference import backend as backend_module
from tpmri_core.inference import onnx_cache
from tpmri_core.inference.backend import create_backend, resolve_backend_name
from tpmri_core.inference.graphs import STEP_INPUTS, STEP_OUTPUTS, TemplateEncoder, TrackingStep, example_inputs
from tpmri_core.inference.onnx_cache import GraphSettings, cache_root, cached_graphs
from tpmri_core.inference.onnx_export import export_graphs
from tpmri_core.inference.onnxruntime_backend import ort_providers
from tpmri_core.inference.threads import live_inference_threads
from tpmri_core.tracking.tracker import Tracker
from tpmri_core.weights import resolve_model

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
CPU = torch.device("cpu")


@pytest.mark.parametrize("batch", [1, 2])
def test_exported_graphs_pass_the_checker_and_match_pytorch(tmp_path, make_tiny_model, batch, one_thread) -> None:
    model = make_tiny_model(seed=3)
    graphs = export_graphs(model, tmp_path, batch=batch)  # runs onnx.checker on both files
    template_inputs, step_inputs = example_inputs(model, batch)
    template_session = ort.InferenceSession(str(graphs.template), providers=["CPUExecutionProvider"])
    step_session = ort.InferenceSession(str(graphs.step), providers=["CPUExecutionProvider"])
    assert [i.name for i in step_session.get_inputs()] == list(STEP_INPUTS)
    assert [o.name for o in step_session.get_outputs()] == list(STEP_OUTPUTS)
    with torch.no_grad():
        expected_tokens = TemplateEncoder(model)(*template_inputs)
        expected_step = TrackingStep(model)(*step_inputs)
    tokens = template_session.run(None, {"template_rgb": template_inputs[0].numpy(), "template_tir": template_inputs[1].numpy()})
    for got, expected in zip(tokens, expected_tokens):
        np.testing.assert_allclose(got, expected.numpy(), atol=1e-5)
    outputs = step_session.run(None, {name: tensor.numpy() for name, tensor in zip(STEP_INPUTS, step_inputs)})
    for name, got, expected in zip(STEP_OUTPUTS, outputs, expected_step):
        np.testing.assert_allclose(got, expected.numpy(), atol=1e-4, err_msg=name)
    assert {p.key for p in onnx.load(str(graphs.step)).metadata_props} >= {"tpmri.search_size", "tpmri.input_normalisation"}


def test_the_cache_is_reused_and_follows_the_weights(tmp_path, monkeypatch, make_tiny_model, one_thread) -> None:
    exports = []
    real_export = onnx_cache.export_graphs
    monkeypatch.setattr(onnx_cache, "export_graphs", lambda *a, **k: exports.append(1) or real_export(*a, **k))
    model = make_tiny_model(seed=1)
    first = cached_graphs(model, GraphSettings(batch=1), tmp_path)
    again = cached_graphs(make_tiny_model(seed=1), GraphSettings(batch=1), tmp_path)  # same weights, new object
    assert again == first and first.exist() and len(exports) == 1
    with torch.no_grad():
        model.head.score[-1].bias += 0.5  # changed weights
    changed = cached_graphs(model, GraphSettings(batch=1), tmp_path)
    mirrored = cached_graphs(model, GraphSettings(batch=2), tmp_path)  # another graph setting
    assert len({first.step.parent, changed.step.parent, mirrored.step.parent}) == 3 and len(exports) == 3
    assert not list(tmp_path.glob(".export-*"))  # no scratch folders left behind


def test_the_cache_lives_under_xdg_cache_home(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_root() == tmp_path / "tpmri" / "onnx"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "tpmri" / "onnx"


@pytest.fixture
def one_thread():
    """Torch's two threads on two busy cores slow each other down many times over; one keeps the test short."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.mark.parametrize("mirror_average", [False, True])
def test_backends_track_a_generated_sequence_alike(mirror_average, one_thread) -> None:
    """The bundled weights on a generated crossover sequence: boxes of the two backends overlap (IoU > 0.8)
    on at least 90 % of the frames (they differ by float rounding only, which tracking can amplify)."""
    model = resolve_model().model
    generated = list(generate_sequence(5, 30, SynthConfig(scenario="crossover")))
    frames = [f.as_rgbt_frame() for f in generated]
    boxes = {}
    for name in ("torch", "onnxruntime"):
        tracker = Tracker(model, device="cpu", mirror_average=mirror_average, backend=name)
        assert tracker.backend.name == name
        boxes[name] = np.array([r.box_xywh for r in tracker.track_sequence(iter(frames), generated[0].box_xywh_rgb)])
    agreement = overlaps(boxes["torch"], boxes["onnxruntime"])
    assert np.mean(agreement > 0.8) >= 0.9, agreement
    truth = np.array([f.box_xywh_rgb for f in generated[1:]])
    assert np.mean(overlaps(boxes["onnxruntime"], truth) > 0.5) > 0.5  # and both really track the target


def test_a_missing_onnxruntime_falls_back_to_torch_with_one_line(capsys, monkeypatch, make_tiny_model) -> None:
    monkeypatch.setattr(backend_module, "onnxruntime_available", lambda: False)
    for asked in ("auto", "onnxruntime"):
        backend = create_backend(asked, make_tiny_model(), CPU, batch=1)
        assert backend.name == "torch"
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "onnxruntime is not installed" in lines[0]


def test_auto_is_onnxruntime_on_a_cpu_and_torch_on_cuda() -> None:
    assert resolve_backend_name("auto", CPU) == "onnxruntime"
    assert resolve_backend_name("auto", torch.device("cuda")) == "torch"
    with pytest.raises(ValueError, match="backend 'tensorrt'"):
        resolve_backend_name("tensorrt", CPU)


def test_onnxruntime_uses_gpu_providers_only_on_cuda_and_when_built_with_them() -> None:
    everything = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert ort_providers(torch.device("cuda"), everything) == everything
    assert ort_providers(torch.device("cuda"), ["CUDAExecutionProvider", "CPUExecutionProvider"])[0] == "CUDAExecutionProvider"
    assert ort_providers(torch.device("cuda"), ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert ort_providers(CPU, everything) == ["CPUExecutionProvider"]


def test_the_onnxruntime_backend_refuses_a_pytorch_precision(make_tiny_model) -> None:
    with pytest.raises(ValueError, match="onnxruntime backend runs fp32"):
        create_backend("onnxruntime", make_tiny_model(), CPU, batch=1, precision="bf16")


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 1), (4, 3), (16, 8)])
def test_live_inference_leaves_a_core_to_capture_and_display(cores, threads) -> None:
    assert live_inference_threads(cores) == threads


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graphs_and_bf16_track_like_eager_fp32(make_tiny_model) -> None:
    from tpmri_core.benchmarking import moving_target_frames

    frames = moving_target_frames(12, 640, 480)
    box = (640 * 0.3, 480 * 0.4, 40, 50)
    model = make_tiny_model(seed=2)
    eager = Tracker(model, device="cuda", precision="fp32")
    graphed = Tracker(model, device="cuda", precision="bf16", compile_model=True)
    a = np.array([r.box_xywh for r in eager.track_sequence(iter(frames), box)])
    b = np.array([r.box_xywh for r in graphed.track_sequence(iter(frames), box)])
    assert graphed.backend.name == "torch" and np.mean(overlaps(a, b) > 0.8) >= 0.9


def test_export_command_writes_both_graphs(capsys, tmp_path, make_tiny_model) -> None:
    from tpmri_core.models.checkpoint import save_checkpoint
    from tpmri_live.tpmri_command import main

    weights = tmp_path / "tiny.safetensors"
    save_checkpoint(make_tiny_model(seed=4), weights, "tpmri-tiny")
    out = tmp_path / "onnx"
    assert main(["export", "--weights", str(weights), "--format", "onnx", str(out), "--batch", "2"]) == 0
    assert "onnx.checker passed" in capsys.readouterr().out
    session = ort.InferenceSession(str(out / "tracking_step.onnx"), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[2].shape == [2, 3, 192, 192] and session.get_inputs()[4].shape == [2, 6]
    assert main(["export", "--weights", str(weights), str(out), "--batch", "0"]) == 2
    assert main(["export", "--weights", str(tmp_path / "missing.safetensors"), str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


def test_every_tracking_command_offers_the_backend_and_tpmri_live_passes_it_on(keep_threads) -> None:
    from tpmri_live.main import build_parser as live_parser
    from tpmri_live.main import load_tracker
    from tpmri_live.tpmri_command import build_parser

    for argv in (["track", "seq", "--out", "x.txt"], ["benchmark", "--dataset", "gtot", "--root", "r", "--results", "d"], ["bench"]):
        assert build_parser().parse_args(argv).backend == "auto"
        assert build_parser().parse_args([*argv, "--backend", "torch"]).backend == "torch"
    args = live_parser().parse_args(["--demo", "--device", "cpu", "--threads", "1", "--backend", "onnxruntime"])
    tracker, _ = load_tracker(args)
    assert tracker.backend.name == "onnxruntime" and tracker.backend.threads == 1


@pytest.fixture
def keep_threads():
    """tpmri-live sets torch's thread count for its process; give the test session its setting back."""
    previous = torch.get_num_threads()
    yield
    torch.set_num_threads(previous)


def test_a_model_without_tpi_runs_in_torch_under_auto_and_is_refused_by_onnxruntime(make_tiny_model) -> None:
    model = make_tiny_model(use_tpi=False)
    assert create_backend("auto", model, CPU, batch=1).name == "torch"
    with pytest.raises(ValueError, match="use_tpi=False"):
        create_backend("onnxruntime", model, CPU, batch=1)

"""`tpmri profile` against the paper's budget (the issue's acceptance check) and the CLI's error handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tpmri_core.benchmarking import csrt_available
from tpmri_core.commands.tracker_options import MIRROR_AVERAGE_DEFAULT
from tpmri_core.models.checkpoint import save_checkpoint
from tpmri_core.models.variants import build_model
from tpmri_core.profiling import profile_model
from tpmri_live.tpmri_command import main

PAPER_PARAMS_M = 93.57
PAPER_GFLOPS = 23.08


def _last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def test_profile_of_the_paper_variant_meets_the_paper_budget(capsys) -> None:
    assert main(["profile", "tpmri-base", "--json"]) == 0
    profile = _last_json(capsys.readouterr().out)
    assert set(profile) >= {"params_m", "gflops", "tpi_params_m", "tpi_gflops"}
    assert profile["params_m"] == pytest.approx(PAPER_PARAMS_M, rel=0.03)
    assert profile["gflops"] == pytest.approx(PAPER_GFLOPS, rel=0.06)

    reference = profile_model(build_model("tpmri-base", use_tpi=False))  # the same tracker without TPI
    assert reference.tpi_params_m == 0 and reference.tpi_gflops == 0
    assert profile["tpi_params_m"] > 0 and profile["tpi_gflops"] > 0
    assert profile["tpi_params_m"] <= 0.01 * reference.params_m
    assert profile["tpi_gflops"] <= 0.03 * reference.gflops
    # The whole thermal path (TPI and the thermal patch embedding) stays within the same budget.
    assert profile["params_m"] - reference.params_m <= 0.01 * reference.params_m
    assert profile["gflops"] - reference.gflops <= 0.03 * reference.gflops


def test_profile_text_output_names_the_variant(capsys) -> None:
    assert main(["profile", "tpmri-tiny"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tpmri-tiny:") and "GFLOPs" in out and "TPI modules" in out


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "tiny.safetensors"
    save_checkpoint(build_model("tpmri-tiny"), path, "tpmri-tiny")
    return path


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["profile", "tpmri-huge"], "unknown variant 'tpmri-huge'"),
        (["bench", "--variant", "nope"], "unknown variant 'nope'"),
        (["bench", "--weights", "/no/such/file.safetensors"], "does not exist"),
        (["bench", "--frames", "0"], "--frames"),
        (["bench", "--size", "big"], "--size"),
        (["bench", "--size", "32x32"], "too small"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, argv, expected) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"tpmri {argv[0]}: error:") and expected in lines[0]


def test_a_corrupt_weights_file_exits_2_with_one_line(capsys, tmp_path: Path) -> None:
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"garbage" * 10)
    assert main(["bench", "--weights", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "broken.safetensors" in lines[0]


@pytest.mark.parametrize("device, expected", [("tpu", "must be auto, cpu or cuda"), ("cuda:banana", "")])
def test_a_bad_device_exits_2_with_one_line(capsys, tiny_weights: Path, device: str, expected: str) -> None:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("a CUDA device exists here")
    assert main(["bench", "--weights", str(tiny_weights), "--device", device, "--frames", "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]


def test_bench_runs_with_a_weights_file(capsys, tiny_weights: Path) -> None:
    """Only that the command works and reports its keys; speed itself is `tpmri bench`'s job, not a test's."""
    assert main(["bench", "--weights", str(tiny_weights), "--device", "cpu", "--frames", "3", "--size", "320x240", "--json"]) == 0
    report = _last_json(capsys.readouterr().out)
    assert report["fps"] > 0 and report["frames"] == 3 and report["median_ms"] <= report["p90_ms"] + 1e-9
    assert report["mirror_average"] is MIRROR_AVERAGE_DEFAULT
    assert report["backend"] == "onnxruntime" and report["threads"] == torch.get_num_threads()  # auto on a CPU
    assert report["csrt_fps"] is None if not csrt_available() else report["csrt_fps"] > 0
    threads = torch.get_num_threads()
    try:
        assert main(["bench", "--weights", str(tiny_weights), "--device", "cpu", "--frames", "2", "--size", "320x240",
                     "--no-mirror-average", "--backend", "torch", "--threads", "1"]) == 0
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert " on cpu (torch, 1 thread): " in out and "mirror" not in out

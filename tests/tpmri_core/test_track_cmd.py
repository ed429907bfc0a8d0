"""`tpmri track` and `tpmri benchmark` on small sequences written here in the RGBT234 layout."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tpmri_core.data.sequences import load_sequence
from tpmri_core.models.checkpoint import save_checkpoint
from tpmri_core.models.variants import build_model
from tpmri_core.tracking import dataset_run
from tpmri_core.tracking.dataset_run import SequenceOutcome, default_workers, run_dataset
from tpmri_core.tracking.tracker import Tracker
from tpmri_core.tracking.run import run_sequence
from tpmri_core.weights import resolve_model
from tpmri_live.tpmri_command import main

WIDTH, HEIGHT = 160, 120


def write_rgbt234_sequence(folder: Path, frames: int = 5, seed: int = 0, start_xy=(40, 30)) -> np.ndarray:
    """A warm, red square drifting over a textured background; returns its (frames, 4) boxes."""
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 120, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    (folder / "visible").mkdir(parents=True)
    (folder / "infrared").mkdir()
    boxes = []
    for index in range(frames):
        x, y = start_xy[0] + 3 * index, start_xy[1] + 2 * index
        rgb = background.copy()
        rgb[y : y + 24, x : x + 20] = (220, 40, 40)
        tir = cv2.cvtColor(background, cv2.COLOR_RGB2GRAY) // 3
        tir[y : y + 24, x : x + 20] = 230
        cv2.imwrite(str(folder / "visible" / f"{index + 1:05d}v.jpg"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(folder / "infrared" / f"{index + 1:05d}i.jpg"), tir)
        boxes.append((x, y, 20, 24))
    lines = "".join(f"{x},{y},{w},{h}\n" for x, y, w, h in boxes)
    (folder / "visible.txt").write_text(lines)
    (folder / "infrared.txt").write_text(lines)
    return np.array(boxes, dtype=float)


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "tiny.safetensors"
    save_checkpoint(build_model("tpmri-tiny"), path, "tpmri-tiny")
    return path


@pytest.fixture(scope="module")
def dataset_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rgbt234")
    for number, frames in ((1, 5), (2, 4), (3, 3)):
        write_rgbt234_sequence(root / f"seq{number}", frames=frames, seed=number)
    return root


def _read_boxes(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", ndmin=2)


def _one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# ------------------------------------------------------------------------------------ tpmri track


def test_track_writes_one_box_per_frame_starting_with_the_ground_truth(capsys, tmp_path, weights, dataset_root) -> None:
    out, details = tmp_path / "out" / "seq1.txt", tmp_path / "seq1.csv"
    argv = ["track", str(dataset_root / "seq1"), "--weights", str(weights), "--device", "cpu",
            "--out", str(out), "--details", str(details)]
    assert main(argv) == 0
    assert "seq1: 5 frames" in capsys.readouterr().out
    boxes = _read_boxes(out)
    assert boxes.shape == (5, 4)
    np.testing.assert_array_equal(boxes[0], [40, 30, 20, 24])
    assert np.isfinite(boxes).all()
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] > 0).all()
    assert (boxes[:, 0] + boxes[:, 2] <= WIDTH).all() and (boxes[:, 1] + boxes[:, 3] <= HEIGHT).all()
    with open(details, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 and rows[0]["score"] == "" and rows[0]["frame"] == "0"
    assert [f"alpha_{i}" in rows[1] for i in range(6)] == [True] * 6
    assert all(0 < float(row["alpha_mean"]) < 1 and row["lost"] == "0" for row in rows[1:])
    np.testing.assert_allclose([float(rows[4][k]) for k in "xywh"], boxes[4], atol=0.01)
    assert not list(out.parent.glob(".*tmp"))  # no temporary file left behind


def test_track_starts_from_the_init_flag(capsys, tmp_path, weights, dataset_root) -> None:
    out = tmp_path / "seq2.txt"
    argv = ["track", str(dataset_root / "seq2"), "--init", "50.5,40,16,16", "--weights", str(weights),
            "--device", "cpu", "--out", str(out)]
    assert main(argv) == 0
    boxes = _read_boxes(out)
    assert boxes.shape == (4, 4)
    np.testing.assert_array_equal(boxes[0], [50.5, 40, 16, 16])


def test_track_of_a_plain_folder_without_annotation_needs_init(capsys, tmp_path, weights) -> None:
    folder = tmp_path / "plain"
    write_rgbt234_sequence(folder, frames=3)
    (folder / "visible.txt").unlink()
    (folder / "infrared.txt").unlink()
    out = tmp_path / "plain.txt"
    base = ["track", str(folder), "--weights", str(weights), "--device", "cpu", "--out", str(out)]
    assert main(base) == 2
    assert "--init" in _one_error_line(capsys)
    assert main([*base, "--init", "40,30,20,24"]) == 0
    assert _read_boxes(out).shape == (3, 4)


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--init", "1,2,3"], "--init"),
        (["--init", "10,10,0,5"], "--init"),
        (["--init", "500,500,10,10"], "outside"),
        (["--weights", "/no/such.safetensors"], "does not exist"),
        (["--variant", "tpmri-nano"], "unknown variant"),
        (["--device", "tpu"], "device"),
    ],
)
def test_track_bad_arguments_exit_2_with_one_line(capsys, tmp_path, weights, dataset_root, extra, expected) -> None:
    argv = ["track", str(dataset_root / "seq3"), "--weights", str(weights), "--out", str(tmp_path / "r.txt"), *extra]
    assert main(argv) == 2
    assert expected in _one_error_line(capsys)
    assert not (tmp_path / "r.txt").exists()


def test_a_bad_device_is_the_only_message_even_without_weights(capsys, tmp_path, dataset_root) -> None:
    assert main(["track", str(dataset_root / "seq3"), "--device", "tpu", "--out", str(tmp_path / "r.txt")]) == 2
    assert "device" in _one_error_line(capsys)
    argv = ["benchmark", "--dataset", "rgbt234", "--root", str(dataset_root), "--results", str(tmp_path), "--device", "tpu"]
    assert main(argv) == 2
    assert "device" in _one_error_line(capsys)


def test_track_bad_paths_exit_2_with_one_line(capsys, tmp_path, weights, dataset_root) -> None:
    assert main(["track", str(tmp_path / "absent"), "--out", str(tmp_path / "r.txt")]) == 2
    assert "absent" in _one_error_line(capsys)
    assert main(["track", str(dataset_root / "seq3"), "--weights", str(weights), "--out", str(tmp_path)]) == 2
    assert "is a folder" in _one_error_line(capsys)


# -------------------------------------------------------------------------------- tpmri benchmark


def test_benchmark_tracks_everything_then_resumes_without_redoing_work(capsys, tmp_path, weights, dataset_root) -> None:
    results = tmp_path / "results"
    argv = ["benchmark", "--dataset", "rgbt234", "--root", str(dataset_root), "--results", str(results),
            "--weights", str(weights), "--device", "cpu", "--json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "[3/3]" in out and "tracked 3, skipped 0" in out
    assert '"SR"' in out.strip().splitlines()[-1]  # the evaluation ran
    for number, frames in ((1, 5), (2, 4), (3, 3)):
        assert _read_boxes(results / f"seq{number}.txt").shape == (frames, 4)
    stamps = {p.name: p.stat().st_mtime_ns for p in results.iterdir()}

    assert main(argv) == 0
    assert "tracked 0, skipped 3" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in results.iterdir()} == stamps

    (results / "seq2.txt").unlink()
    assert main(argv) == 0
    assert "tracked 1, skipped 2" in capsys.readouterr().out
    assert (results / "seq2.txt").is_file()
    assert (results / "seq1.txt").stat().st_mtime_ns == stamps["seq1.txt"]


def test_run_dataset_reports_every_sequence_and_matches_a_single_run(tmp_path, weights, dataset_root) -> None:
    resolved = resolve_model(None, weights)
    seen: list[tuple[int, int, SequenceOutcome]] = []
    outcomes = run_dataset(resolved, "rgbt234", dataset_root, ["seq1", "seq3"], tmp_path, device="cpu",
                           on_outcome=lambda *args: seen.append(args))
    assert [o.name for o in outcomes] == ["seq1", "seq3"]
    assert [o.status for o in outcomes] == ["tracked", "tracked"] and outcomes[0].frames == 5
    assert [(done, total) for done, total, _ in seen] == [(1, 2), (2, 2)]
    direct = run_sequence(Tracker(resolve_model(None, weights).model, device="cpu"),
                          load_sequence("rgbt234", dataset_root, "seq1"))
    np.testing.assert_allclose(_read_boxes(tmp_path / "seq1.txt"), direct.boxes_xywh, atol=0.006)


def test_benchmark_with_two_workers_gives_the_same_boxes(capsys, tmp_path, weights, dataset_root) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    common = ["--dataset", "rgbt234", "--root", str(dataset_root), "--weights", str(weights), "--device", "cpu",
              "--no-eval"]
    assert main(["benchmark", *common, "--results", str(serial)]) == 0
    assert main(["benchmark", *common, "--results", str(parallel), "--workers", "2"]) == 0
    assert "tracked 3, skipped 0" in capsys.readouterr().out
    for number in (1, 2, 3):  # both track on one thread, so the boxes are the same to the last digit
        assert (parallel / f"seq{number}.txt").read_text() == (serial / f"seq{number}.txt").read_text()


def test_run_dataset_tracks_on_one_thread_and_gives_the_setting_back(monkeypatch, tmp_path, weights, dataset_root) -> None:
    threads_while_tracking = []
    track = dataset_run.run_sequence

    def spy(tracker, sequence):
        threads_while_tracking.append(torch.get_num_threads())
        return track(tracker, sequence)

    monkeypatch.setattr(dataset_run, "run_sequence", spy)
    original = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        run_dataset(resolve_model(None, weights), "rgbt234", dataset_root, ["seq1", "seq3"], tmp_path, device="cpu")
        assert threads_while_tracking == [1, 1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(original)


def test_default_workers_is_one_per_usable_core_on_the_cpu(monkeypatch) -> None:
    monkeypatch.setattr(dataset_run.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert default_workers("cpu") == 4
    monkeypatch.delattr(dataset_run.os, "sched_getaffinity")  # macOS and Windows have no affinity call
    monkeypatch.setattr(dataset_run.os, "cpu_count", lambda: 6)
    assert default_workers("cpu") == 6


def test_benchmark_mirror_average_reaches_every_worker(capsys, tmp_path, weights, dataset_root) -> None:
    common = ["--dataset", "rgbt234", "--root", str(dataset_root), "--weights", str(weights), "--device", "cpu",
              "--no-eval", "--mirror-average"]
    assert main(["benchmark", *common, "--results", str(tmp_path), "--workers", "2"]) == 0
    model = resolve_model(None, weights).model
    sequence = load_sequence("rgbt234", dataset_root, "seq1")
    mirrored = run_sequence(Tracker(model, device="cpu", mirror_average=True), sequence).boxes_xywh
    plain = run_sequence(Tracker(model, device="cpu"), sequence).boxes_xywh
    np.testing.assert_allclose(_read_boxes(tmp_path / "seq1.txt"), mirrored, atol=0.02)
    assert np.abs(mirrored[1:] - plain[1:]).max() > 0.05  # the option changes the result


def test_a_broken_sequence_fails_alone_and_the_rest_is_kept(capsys, tmp_path, weights) -> None:
    root = tmp_path / "root"
    write_rgbt234_sequence(root / "good", frames=3)
    write_rgbt234_sequence(root / "broken", frames=3)
    (root / "broken" / "visible.txt").write_text("1,2,3,4\n")  # one box for three images
    results = tmp_path / "results"
    argv = ["benchmark", "--dataset", "rgbt234", "--root", str(root), "--results", str(results),
            "--weights", str(weights), "--device", "cpu"]
    assert main(argv) == 2
    error = _one_error_line(capsys)
    assert "1 of 2 sequences failed" in error and "broken" in error
    assert (results / "good.txt").is_file() and not (results / "broken.txt").exists()


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--dataset", "rgbt234", "--root", "/no/such/root"], "not found"),
        (["--dataset", "rgbt234", "--workers", "0"], "--workers"),
        (["--dataset", "gtot", "--split", "test"], "--split"),
    ],
)
def test_benchmark_bad_arguments_exit_2_with_one_line(capsys, tmp_path, weights, dataset_root, argv, expected) -> None:
    full = ["benchmark", "--root", str(dataset_root), "--results", str(tmp_path / "r"), "--weights", str(weights), *argv]
    assert main(full) == 2
    assert expected in _one_error_line(capsys)

"""Evaluation: box errors, each benchmark's conventions, result files, plots and the `tpmri eval` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tpmri_core.evaluation.box_errors import center_errors_px, normalized_center_errors, overlaps
from tpmri_core.evaluation.protocols import PROTOCOLS, protocol_for
from tpmri_core.evaluation.result_files import find_result_files, read_result_boxes_xywh, write_result_boxes_xywh
from tpmri_core.evaluation.scores import (
    prepare_result_boxes,
    round_boxes_like_toolkit,
    score_benchmark,
    score_sequence,
)
from tpmri_core.errors import UserError
from tpmri_live.tpmri_command import main


def test_box_errors() -> None:
    gt = np.array([[0, 0, 10, 10]] * 5, dtype=float)
    boxes = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [20, 20, 5, 5], [0, 0, 0, 10], [np.nan] * 4])
    np.testing.assert_allclose(overlaps(boxes, gt)[:4], [1.0, 50 / 150, 0.0, 0.0])
    assert np.isnan(overlaps(boxes, gt)[4])
    np.testing.assert_allclose(center_errors_px(boxes, gt)[:3], [0.0, 5.0, np.hypot(17.5, 17.5)])
    np.testing.assert_allclose(normalized_center_errors(boxes[:2], gt[:2]), [0.0, 0.5])
    assert normalized_center_errors(np.array([[1, 0, 10, 10]]), np.array([[0, 0, 0, 10]]))[0] == np.inf
    with pytest.raises(ValueError, match="differ in length"):
        overlaps(boxes[:2], gt)


def test_rounding_matches_the_toolkit() -> None:
    rounded = round_boxes_like_toolkit(np.array([[2.5, 3.5, 0.4, -0.5]]))
    np.testing.assert_array_equal(rounded, [[2, 4, 0, 0]])  # halves to even, like numpy's round


def test_lasher_result_preparation() -> None:
    protocol = PROTOCOLS["lasher"]
    boxes = np.array([[50, 50, 9, 9], [1, 1, 5, 5], [9, 9, 0, 5], [9, 9, 5, -1], [3, 3, 5, 5], [7, 7, 7, 7]])
    prepared = prepare_result_boxes(protocol, boxes, np.array([0, 0, 4, 4]), n_frames=5)
    # first box = ground truth, empty boxes repeat the previous one, the extra line is cut
    np.testing.assert_array_equal(prepared, [[0, 0, 4, 4], [1, 1, 5, 5], [1, 1, 5, 5], [1, 1, 5, 5], [3, 3, 5, 5]])
    with pytest.raises(ValueError, match="2 result boxes for 5"):
        prepare_result_boxes(protocol, boxes[:2], np.array([0, 0, 4, 4]), n_frames=5)
    kept = prepare_result_boxes(PROTOCOLS["rgbt234"], boxes, np.array([0, 0, 4, 4]), n_frames=5)
    np.testing.assert_array_equal(kept, boxes[:5])  # RGBT234 scores what the tracker wrote


def test_lasher_frames_without_ground_truth_hit_precision_and_miss_success() -> None:
    gt = np.array([[10, 10, 10, 10], [np.nan] * 4, [0, 40, 10, 10], [10, 10, 10, 10]])
    boxes = np.array([[10, 10, 10, 10], [100, 100, 10, 10], [0, 40, 10, 10], [10, 10, 10, 10]])
    score = score_sequence(PROTOCOLS["lasher"], boxes, gt)
    # frame 1 has no target and frame 2 touches the left edge (x = 0): LasHeR counts neither as a box
    np.testing.assert_array_equal(score.has_ground_truth, [True, False, False, True])
    assert score.precision_curve[0] == 1.0 and score.normalized_precision_curve[0] == 1.0
    assert score.success_curve[0] == 0.5 and score.success_curve[-1] == 0.0
    rgbt234 = score_sequence(PROTOCOLS["rgbt234"], boxes, gt)
    assert rgbt234.precision_curve[0] == 0.75  # elsewhere a box at x = 0 is a box, a missing one a miss


def test_best_of_both_ground_truths() -> None:
    gt_rgb = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], dtype=float)
    gt_tir = np.array([[30, 0, 10, 10], [3, 0, 10, 10]], dtype=float)
    boxes = np.array([[30, 0, 10, 10], [4, 0, 10, 10]], dtype=float)
    score = score_sequence(PROTOCOLS["rgbt234"], boxes, gt_rgb, gt_tir)
    np.testing.assert_allclose(score.center_errors_px, [0.0, 1.0])
    np.testing.assert_allclose(score.overlaps, [1.0, 9 / 11])
    single = score_sequence(PROTOCOLS["rgbt210"], boxes, gt_rgb, gt_tir)
    np.testing.assert_allclose(single.center_errors_px, [0.0, 4.0])  # first frame from gt, rgb only


def test_gtot_threshold_weighting_and_area() -> None:
    gtot, rgbt234 = protocol_for("gtot"), protocol_for("rgbt234")
    gt = np.array([[0, 0, 10, 10]] * 4, dtype=float)
    five_px_off = np.array([[5, 0, 10, 10]] * 4, dtype=float)
    strict = score_sequence(gtot, five_px_off, gt).precision_curve
    assert strict[np.argmin(np.abs(gtot.precision_thresholds_px - 5))] == 0.0  # GTOT: error < 5 px
    assert score_sequence(rgbt234, five_px_off, gt).precision_curve[5] == 1.0  # others: error <= t
    short = score_sequence(gtot, gt[:1], gt[:1], name="short")
    long = score_sequence(gtot, np.array([[0, 0, 10, 10]] + [[50, 50, 10, 10]] * 3, float), gt, name="long")
    assert score_benchmark(gtot, [short, long]).pr == pytest.approx(2 / 5)  # frames weigh equally
    assert score_benchmark(rgbt234, [short, long]).pr == pytest.approx((1 + 1 / 4) / 2)  # sequences do
    perfect = score_benchmark(gtot, [short]).sr
    assert perfect == pytest.approx(0.975)  # trapezoid over 0..1 with the 1.0 threshold a miss
    assert score_benchmark(rgbt234, [score_sequence(rgbt234, gt, gt)]).sr == pytest.approx(20 / 21)


def test_result_files_round_trip_and_prefixes(tmp_path: Path) -> None:
    boxes = np.array([[1.234, 2, 3.5, 4], [np.nan, 0, -1, 2]])
    write_result_boxes_xywh(tmp_path / "JMMAC_car.txt", boxes)
    assert (tmp_path / "JMMAC_car.txt").read_text().splitlines()[0] == "1.23,2,3.5,4"
    np.testing.assert_array_equal(read_result_boxes_xywh(tmp_path / "JMMAC_car.txt"), np.round(boxes, 2))
    write_result_boxes_xywh(tmp_path / "JMMAC_bus.txt", boxes)
    found = find_result_files(tmp_path, ["car", "bus", "kite"])
    assert found.prefix == "JMMAC_" and set(found.paths) == {"car", "bus"} and found.missing == ("kite",)
    np.savetxt(tmp_path / "car.txt", boxes[:1], fmt="%.6e")  # numpy.savetxt's default, space separated
    found = find_result_files(tmp_path, ["car", "bus"])
    assert found.prefix == "" and found.missing == ("bus",)
    np.testing.assert_allclose(read_result_boxes_xywh(found.paths["car"]), boxes[:1])
    assert find_result_files(tmp_path, ["car", "bus"], prefix="JMMAC_").missing == ()
    with pytest.raises(UserError, match="results folder not found"):
        find_result_files(tmp_path / "none", ["car"])


def _write_rgbt234_root(root: Path, sequences: dict[str, np.ndarray]) -> None:
    for name, gt in sequences.items():
        (root / name).mkdir(parents=True)
        for file_name in ("visible.txt", "infrared.txt"):
            np.savetxt(root / name / file_name, gt, fmt="%d", delimiter=",")


@pytest.fixture
def tiny_benchmark(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    sequences = {
        name: np.column_stack([rng.integers(0, 100, (20, 2)), rng.integers(10, 30, (20, 2))]) for name in ("a", "b")
    }
    root, results = tmp_path / "root", tmp_path / "results" / "MyTracker"
    _write_rgbt234_root(root, sequences)
    for name, gt in sequences.items():
        write_result_boxes_xywh(results / f"{name}.txt", gt.astype(float))
    return root, results


def test_eval_command_json_contract_and_plots(tiny_benchmark: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    root, results = tiny_benchmark
    plots = tmp_path / "plots"
    args = ["eval", "--dataset", "rgbt234", "--root", str(root), "--results", str(results)]
    code = main(args + ["--json", "--plots", str(plots)])
    output = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    summary = json.loads(output[-1])
    assert summary["PR"] == 100.0 and summary["SR"] == pytest.approx(100 * 20 / 21, abs=0.01)
    assert "NPR" not in summary and summary["tracker"] == "MyTracker" and summary["sequences"] == 2
    assert "MyTracker on rgbt234: 2 sequences, 40 frames" in output[0]
    for name in ("rgbt234_precision.png", "rgbt234_success.png"):
        data = (plots / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_eval_command_lasher_reports_npr(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "LasHeR" / "testingset" / "boy"
    folder.mkdir(parents=True)
    (folder / "visible.txt").write_text("10,10,20,20\n12,10,20,20\n0,0,0,0\n")
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "boy.txt").write_text("10,10,20,20\n16,10,20,20\n0,0,0,0\n")
    root, results = tmp_path / "LasHeR", tmp_path / "res"
    code = main(["eval", "--dataset", "lasher", "--root", str(root), "--results", str(results), "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and set(summary) >= {"PR", "NPR", "SR"}
    assert summary["PR"] == 100.0  # 4 px off, and the frame without a target counts as a hit
    assert summary["NPR"] == 100.0  # 4 / 20 = 0.2, on the threshold
    assert summary["SR"] == pytest.approx(100 * (1 * 20 + 1 * 14) / 21 / 3, abs=0.01)  # IoU 16/24 on frame 2


def test_eval_command_errors(tiny_benchmark: tuple[Path, Path], capsys) -> None:
    root, results = tiny_benchmark
    base = ["eval", "--dataset", "rgbt234", "--root", str(root), "--results", str(results)]
    (results / "b.txt").unlink()
    assert main(base) == 2
    assert "no result file for 1 of 2 sequences" in capsys.readouterr().err
    assert main(base + ["--skip-missing", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["sequences"] == 1 and summary["skipped"] == ["b"]
    (results / "a.txt").write_text("1,2,3,4\n")
    assert main(base + ["--skip-missing"]) == 2
    assert "a.txt: 1 result boxes for 20 annotated frames" in capsys.readouterr().err
    (results / "a.txt").write_text("1,2,3,4\n1,2,3\n")
    assert main(base + ["--skip-missing"]) == 2
    assert "a.txt:2: expected 4 numbers" in capsys.readouterr().err
    assert main(["eval", "--dataset", "gtot", "--root", str(root / "nope"), "--results", str(results)]) == 2
    assert "dataset root not found" in capsys.readouterr().err
    assert main(base + ["--split", "test"]) == 2
    assert "--split applies to lasher only" in capsys.readouterr().err


def test_eval_scores_per_frame_events(tmp_path: Path, capsys) -> None:
    gt = np.array([[10, 10, 20, 20]] * 4)
    root, results = tmp_path / "synth", tmp_path / "results"
    _write_rgbt234_root(root, {"s1": gt, "s2": gt})
    (root / "s1" / "events.csv").write_text("frame,darkness,crossover\n1,0,0\n2,1,0\n3,1,0\n4,0,0\n")
    (root / "s2" / "events.csv").write_text("frame,darkness,crossover\n1,0,0\n2,0,0\n3,0,0\n4,1,0\n")
    lost = gt.astype(float) + [200, 0, 0, 0]
    write_result_boxes_xywh(results / "s1.txt", np.where([[0], [1], [1], [0]], lost, gt))
    write_result_boxes_xywh(results / "s2.txt", np.where([[0], [0], [0], [1]], lost, gt))
    main(["eval", "--dataset", "rgbt234", "--root", str(root), "--results", str(results), "--json"])
    output = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(output[-1])
    assert summary["PR"] == pytest.approx(100 * (2 / 4 + 3 / 4) / 2)
    assert summary["frame_attributes"] == {"darkness": {"frames": 3, "PR": 0.0, "SR": 0.0}}  # lost in the dark
    assert summary["attributes"]["darkness"]["sequences"] == 2
    assert any(line.startswith("per frame event") for line in output)

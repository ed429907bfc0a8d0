"""TPMRI inside the real VOT toolkit: `vot evaluate`, `vot analysis` and `vot test` on two generated sequences.

The toolkit runs as its users run it (`python -m vot`, the same entry point as the `vot` script), starting
our TraX server from the workspace's trackers.ini. Its network calls (a version check) are pointed at a
closed local port, so the test never leaves the machine.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch

from tpmri_core.data.sequences import load_sequence
from tpmri_core.tracking.run import run_sequence
from tpmri_core.vot.options import TrackerOptions, build_tracker
from tpmri_live.tpmri_command import main

pytest.importorskip("vot", reason='the VOT toolkit is in the test extra: pip install -e ".[test]"')
pytest.importorskip("trax")

pytestmark = pytest.mark.slow

FRAMES = 20
ANCHOR_SPACING = 10  # anchors at frame 0 (run forward) and 10 (run backward): two runs per sequence
CLOSED_PORT_PROXY = "http://127.0.0.1:9"
TELEPORT_FRAME = 12  # in the third sequence the ground truth jumps away here: a failure the toolkit must recover from
SKIPPED_FRAMES = 5  # the supervised experiment re-initialises this many frames after a failure
WIDTH, HEIGHT = 128, 96


def _write_teleport_sequence(source: Path, target: Path) -> tuple[float, float, float, float]:
    """A copy of `source` whose target jumps to a far corner (and stays there) from TELEPORT_FRAME on."""
    shutil.copytree(source, target)
    rows = [line.split(",") for line in (source / "init.txt").read_text().split()]
    x, y, w, h = (float(v) for v in rows[TELEPORT_FRAME])
    far_x = 0.0 if x + w / 2 > WIDTH / 2 else WIDTH - w
    far_y = 0.0 if y + h / 2 > HEIGHT / 2 else HEIGHT - h
    assert far_x + w <= x or x + w <= far_x or far_y + h <= y or y + h <= far_y  # no overlap with the real target
    jumped = rows[:TELEPORT_FRAME] + [[f"{v:g}" for v in (far_x, far_y, w, h)]] * (len(rows) - TELEPORT_FRAME)
    for name in ("init.txt", "visible.txt", "infrared.txt"):
        (target / name).write_text("\n".join(",".join(row) for row in jumped) + "\n")
    return far_x, far_y, w, h


def _no_stray_servers(token: str) -> list[int]:
    """Processes still carrying this test's environment token (our servers, had any outlived the toolkit).

    Linux only (/proc); elsewhere the check finds nothing.
    """
    alive: list[int] = []
    if not Path("/proc").is_dir():
        return alive
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if token.encode() in (entry / "environ").read_bytes():
                alive.append(int(entry.name))
        except OSError:
            continue
    return alive


def _vot(workspace: Path, env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "vot", *args], cwd=workspace, env=env, capture_output=True, text=True, timeout=600
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    return output


def _trajectory(path: Path) -> list[str]:
    return path.read_text().split()


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("vot")
    data, workspace, teleport = root / "synth", root / "ws", root / "teleport_ws"
    assert main(
        ["synth", str(data), "--sequences", "2", "--frames", str(FRAMES), "--width", str(WIDTH), "--height", str(HEIGHT), "--seed", "5", "--scenario", "clean"]
    ) == 0
    generated = sorted(p.name for p in data.iterdir())
    # The re-initialisation check runs on a sequence of its own, so that it leaves the figures alone.
    teleport_box = _write_teleport_sequence(data / generated[0], root / "teleport_data" / "teleport")
    workspace_options = ["--dataset", "rgbt234", "--anchor-spacing", str(ANCHOR_SPACING), "--device", "cpu", "--no-mirror-average"]
    assert main(["vot-workspace", str(workspace), "--root", str(data), *workspace_options]) == 0
    assert main(["vot-workspace", str(teleport), "--root", str(root / "teleport_data"), *workspace_options]) == 0
    token = uuid.uuid4().hex
    env = {
        **os.environ,
        "HTTPS_PROXY": CLOSED_PORT_PROXY, "HTTP_PROXY": CLOSED_PORT_PROXY, "NO_PROXY": "",
        "VOT_RESULTS_BINARY": "0",  # text trajectories, to compare with tpmri track
        "OMP_NUM_THREADS": "1",  # the same single-thread arithmetic as the in-process reference below
        "TPMRI_VOT_TEST_TOKEN": token,
    }
    evaluate_log = _vot(workspace, env, "evaluate", "--workspace", str(workspace), "TPMRI")
    stray = _no_stray_servers(token)
    _vot(workspace, env, "analysis", "--workspace", str(workspace), "--name", "check", "TPMRI")
    _vot(teleport, env, "evaluate", "--workspace", str(teleport), "--experiments", "supervised", "TPMRI")
    test_log = _vot(workspace, env, "test", "TPMRI", "--sequence", str(workspace / "sequences" / generated[0]))
    stray += _no_stray_servers(token)
    return {
        "data": data, "generated": generated, "teleport_box": teleport_box,
        "workspace": workspace, "teleport": teleport, "stray": stray, "evaluate": evaluate_log,
        "analysis": json.loads((workspace / "analysis" / "check.json").read_text()), "test": test_log,
    }


def test_evaluate_runs_every_experiment_and_leaves_no_server(evaluated: dict) -> None:
    assert "Evaluation concluded successfuly" in evaluated["evaluate"], evaluated["evaluate"]
    assert evaluated["stray"] == []
    results = evaluated["workspace"] / "results" / "TPMRI"
    for name in evaluated["generated"]:
        baseline = results / "baseline" / name
        assert _trajectory(baseline / f"{name}_00000000.txt")[0] == "1"  # the toolkit's initialisation mark
        assert len(_trajectory(baseline / f"{name}_00000010.txt")) == ANCHOR_SPACING + 1  # backward run to frame 0
        supervised = _trajectory(results / "supervised" / name / f"{name}_001.txt")
        assert len(supervised) == FRAMES
        confidences = [float(v) for v in (baseline / f"{name}_00000000_confidence.value").read_text().split()]
        assert len(confidences) == FRAMES - 1 and all(0.0 <= c <= 1.0 for c in confidences)


def test_toolkit_boxes_are_tpmri_track_boxes(evaluated: dict) -> None:
    """Both multistart runs are exactly what `tpmri track` computes on the same frames, in the same order."""
    name = evaluated["generated"][0]
    sequence = load_sequence("rgbt234", evaluated["data"], name)
    # The toolkit sends the backward run from frame 10 to the same server after the forward run: it must
    # start afresh (new template, TMR state reset), so it too matches a new tracker on frames 10, 9, ..., 0.
    backward = dataclasses.replace(
        sequence,
        rgb_paths=sequence.rgb_paths[ANCHOR_SPACING::-1],
        tir_paths=sequence.tir_paths[ANCHOR_SPACING::-1],
        gt_rgb_xywh=sequence.gt_rgb_xywh[ANCHOR_SPACING::-1],
        gt_tir_xywh=sequence.gt_tir_xywh[ANCHOR_SPACING::-1],
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tracker, _ = build_tracker(TrackerOptions(device="cpu", mirror_average=False))
        references = {0: run_sequence(tracker, sequence).boxes_xywh, ANCHOR_SPACING: run_sequence(tracker, backward).boxes_xywh}
    finally:
        torch.set_num_threads(threads)
    for anchor, reference in references.items():
        lines = _trajectory(evaluated["workspace"] / "results" / "TPMRI" / "baseline" / name / f"{name}_{anchor:08d}.txt")
        toolkit = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
        np.testing.assert_allclose(toolkit, reference[1:], atol=0.01, err_msg=f"run from anchor {anchor}")


def test_supervised_failure_reinitialises_the_tracker(evaluated: dict) -> None:
    """Where the ground truth jumps away the toolkit records a failure, waits five frames and re-initialises
    on the new box, which the restarted tracker then follows."""
    lines = _trajectory(evaluated["teleport"] / "results" / "TPMRI" / "supervised" / "teleport" / "teleport_001.txt")
    assert lines[0] == "1" and all("," in line for line in lines[1:TELEPORT_FRAME])
    restart = TELEPORT_FRAME + SKIPPED_FRAMES
    assert lines[TELEPORT_FRAME] == "2"  # the toolkit's failure mark
    assert lines[TELEPORT_FRAME + 1 : restart] == ["0"] * (SKIPPED_FRAMES - 1)
    assert lines[restart] == "1"
    after = np.array([float(v) for v in lines[restart + 1].split(",")])
    x, y, w, h = evaluated["teleport_box"]
    # The new box holds background (only the ground truth jumped), so the tracker may settle a few pixels off a
    # 19 x 8 box; what matters is that it restarted there, far from the old target, at the new box's size.
    centre_offset = np.hypot(after[0] + after[2] / 2 - (x + w / 2), after[1] + after[3] / 2 - (y + h / 2))
    assert centre_offset < max(w, h), f"restarted box {after} is not at the new box {evaluated['teleport_box']}"
    assert 0.5 < np.sqrt(after[2] * after[3] / (w * h)) < 2.0


def test_analysis_gives_accuracy_robustness_and_eao(evaluated: dict) -> None:
    results = evaluated["analysis"]["results"]
    assert set(results) == {"baseline", "supervised"}
    (accuracy, robustness, *_), = results["baseline"]["results"][0]
    (eao,), = results["baseline"]["results"][1]
    # the bundled weights follow the generated targets: far from a tracker that stays put or drifts off
    assert 0.3 < accuracy <= 1.0 and 0.6 < robustness <= 1.0
    assert 0.0 < eao <= 1.0
    (s_accuracy, *_), = results["supervised"]["results"][0]
    (s_eao,), = results["supervised"]["results"][1]
    assert 0.3 < s_accuracy <= 1.0 and 0.0 < s_eao <= 1.0


def test_vot_test_passes(evaluated: dict) -> None:
    assert "Test concluded successfuly" in evaluated["test"], evaluated["test"]

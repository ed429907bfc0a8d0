"""tpmri-live's command line: one-line errors with status 2, headless runs writing results, the window run."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import pytest

from live_fakes import make_pair, target_box_at
from tpmri_live.main import main


@pytest.fixture(autouse=True)
def keep_torch_threads():
    """tpmri-live sets torch's CPU threads for its process; give the rest of the test session its setting back."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if "error" in line]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    return errors[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--demo", "--max-frames", "0"], "--max-frames"),
        (["--demo", "--init", "1,2,3"], "--init"),
        (["--demo", "--init", "1,2,0,5"], "--init"),
        (["--demo", "--weights", "missing.safetensors"], "missing.safetensors"),
        (["--demo", "--headless", "--screenshot", "x.png"], "--screenshot"),
        (["--demo", "--speed", "-1"], "--speed"),
        (["--demo", "--threads", "0"], "--threads"),
        (["--replay", "/nonexistent/sequence"], "/nonexistent/sequence"),
        ([], "no input"),
        (["--demo", "--replay", "somewhere"], "cannot be combined"),
        (["--rgb", "0"], "--tir"),
        (["--rgb", "missing.mp4", "--tir", "missing2.mp4"], "missing.mp4"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(capsys, argv, expected):
    assert main(argv) == 2
    assert expected in one_line_error(capsys)


def test_bad_flags_exit_2_with_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--demo", "--bogus"])
    assert exit_info.value.code == 2
    assert "--bogus" in one_line_error(capsys)


def test_bad_calibration_and_weights_files_exit_2(capsys, tmp_path):
    calibration = tmp_path / "cal.json"
    calibration.write_text("{not json")
    assert main(["--demo", "--calib", str(calibration)]) == 2  # --calib abbreviates --calibration
    assert "cal.json" in one_line_error(capsys)
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"not a safetensors file")
    assert main(["--demo", "--headless", "--max-frames", "1", "--weights", str(weights)]) == 2
    assert "w.safetensors" in one_line_error(capsys)


def test_a_camera_that_does_not_open_is_one_line_in_a_real_process():
    result = subprocess.run(
        [sys.executable, "-m", "tpmri_live.main", "--rgb", "/dev/video97", "--tir", "/dev/video98"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "/dev/video97" in errors[0]


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_headless_demo_tracks_from_the_synthetic_truth_and_writes_results(tmp_path):
    out = tmp_path / "demo"
    assert main(["--demo", "--headless", "--max-frames", "4", "--device", "cpu", "--out", str(out)]) == 0
    rows = read_rows(out / "results.csv")
    assert [row["state"] for row in rows] == ["init", "tracked", "tracked", "tracked"]
    assert float(rows[1]["w"]) > 0 and 0.0 <= float(rows[1]["alpha_mean"]) <= 1.0
    assert rows[1]["alpha_layer0"] != ""
    video = cv2.VideoCapture(str(out / "annotated.mp4"))
    # The video follows the frames' timestamps at the demo's 25 fps: pairs the tracker was too slow for
    # are filled with the frame before them, so it plays at the real speed.
    span_s = float(rows[-1]["t_rgb_s"]) - float(rows[0]["t_rgb_s"])
    assert abs(int(video.get(cv2.CAP_PROP_FRAME_COUNT)) - (round(span_s * 25) + 1)) <= 1
    assert video.get(cv2.CAP_PROP_FPS) == pytest.approx(25.0)
    video.release()


def write_plain_sequence(folder, frames: int) -> None:
    (folder / "visible").mkdir(parents=True)
    (folder / "infrared").mkdir()
    lines = []
    for index in range(frames):
        pair = make_pair(index)
        cv2.imwrite(str(folder / "visible" / f"{index:05d}.png"), pair.rgb.image[:, :, ::-1])
        cv2.imwrite(str(folder / "infrared" / f"{index:05d}.png"), pair.tir.image)
        lines.append(",".join(f"{v:g}" for v in target_box_at(index)))
    (folder / "groundtruth.txt").write_text("\n".join(lines) + "\n")


def test_headless_replay_tracks_every_frame_from_init(tmp_path):
    sequence = tmp_path / "seq"
    write_plain_sequence(sequence, frames=6)
    out = tmp_path / "out"
    assert main(["--replay", str(sequence), "--headless", "--init", "30,40,20,20", "--out", str(out)]) == 0
    rows = read_rows(out / "results.csv")
    assert [int(row["frame_index"]) for row in rows] == list(range(6))
    assert rows[0]["state"] == "init" and (rows[0]["x"], rows[0]["w"]) == ("30.00", "20.00")
    assert all(row["state"] in ("tracked", "lost") for row in rows[1:])


def test_headless_init_outside_the_image_exits_2(capsys, tmp_path):
    sequence = tmp_path / "seq"
    write_plain_sequence(sequence, frames=3)
    argv = ["--replay", str(sequence), "--headless", "--init", "900,900,10,10", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert "outside" in one_line_error(capsys)


def test_window_demo_runs_to_max_frames_and_saves_a_screenshot(qtbot, tmp_path):
    shot = tmp_path / "shot.png"
    assert main(["--demo", "--max-frames", "6", "--device", "cpu", "--screenshot", str(shot)]) == 0
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800


@pytest.mark.parametrize("flags, expected", [([], True), (["--no-mirror-average"], False), (["--mirror-average"], True)])
def test_the_live_tracker_averages_over_the_mirror_unless_told_not_to(flags, expected):
    import torch

    from tpmri_live.main import build_parser, load_tracker

    threads = str(torch.get_num_threads())  # load_tracker sets torch's thread count for the whole process
    args = build_parser().parse_args(["--demo", "--device", "cpu", "--threads", threads, *flags])
    tracker, description = load_tracker(args)
    assert tracker.mirror_average is expected and "on cpu" in description

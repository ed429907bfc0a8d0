"""tpmri-live's command line: one-line errors with status 2, headless runs writing results, the window run."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import pytest

from live_fakes import make_pair, target_box_at
from tpmri_core.commands.tracker_options import MIRROR_AVERAGE_DEFAULT
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
    stats = tmp_path / "stats.json"
    assert main(["--demo", "--headless", "--max-frames", "4", "--device", "cpu", "--out", str(out), "--stats-json", str(stats)]) == 0
    rows = read_rows(out / "results.csv")
    assert [row["state"] for row in rows] == ["init", "tracked", "tracked", "tracked"]
    assert rows[0]["frame_index"] == "0"  # the demo starts after the model has loaded: its first frame is tracked
    assert {row["target_state"] for row in rows} <= {"tracking", "uncertain", "lost"}
    numbers = json.loads(stats.read_text())
    assert numbers["display_fps"] == 0 and numbers["frames_shown"] == 0  # headless: nothing was displayed
    assert numbers["frames_received"] == 4 and numbers["frames_tracked"] == 3 and numbers["inference_fps"] > 0
    assert set(numbers) >= {"rgb_fps", "tir_fps", "dropped", "state_s"} and set(numbers["state_s"]) >= {"tracking", "lost"}
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


def test_headless_replay_whose_thermal_folder_ends_early_goes_on_rgb_only(tmp_path):
    sequence = tmp_path / "seq"
    write_plain_sequence(sequence, frames=12)
    for path in sorted((sequence / "infrared").iterdir())[6:]:
        path.unlink()  # the thermal recording ends halfway
    out = tmp_path / "out"
    argv = ["--rgb", str(sequence / "visible"), "--tir", str(sequence / "infrared"), "--headless", "--init", "30,40,20,20", "--out", str(out)]
    assert main(argv) == 0
    rows = read_rows(out / "results.csv")
    assert [int(row["frame_index"]) for row in rows] == list(range(12))  # a row for every RGB frame
    assert [row["state"] for row in rows[1:6]] == ["tracked"] * 5
    assert [row["state"] for row in rows[6:]] == ["tracked-rgb-only"] * 6


def test_headless_replay_of_two_videos_whose_thermal_one_ends_early_goes_on_rgb_only(tmp_path):
    size_wh = make_pair(0).rgb.size_wh
    rgb_video = cv2.VideoWriter(str(tmp_path / "rgb.avi"), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, size_wh)
    tir_video = cv2.VideoWriter(str(tmp_path / "tir.avi"), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, size_wh, isColor=False)
    for index in range(12):
        rgb_video.write(make_pair(index).rgb.image[:, :, ::-1])
        if index % 2 == 0 and index < 6:
            tir_video.write(make_pair(index).tir.image)  # thermal at half the rate, ending after 0.4 s
    rgb_video.release()
    tir_video.release()
    out = tmp_path / "out"
    argv = ["--rgb", str(tmp_path / "rgb.avi"), "--tir", str(tmp_path / "tir.avi"), "--headless", "--init", "30,40,20,20",
            "--out", str(out)]
    assert main(argv) == 0
    rows = read_rows(out / "results.csv")
    # Paired at the thermal rate (RGB frames 0, 2, 4), then every RGB frame from 0.6 s, when the next thermal one was due.
    assert [row["state"] for row in rows] == ["init", "tracked", "tracked"] + ["tracked-rgb-only"] * 6
    assert [int(row["frame_index"]) for row in rows] == list(range(9))


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


@pytest.mark.parametrize(
    "flags, expected", [([], MIRROR_AVERAGE_DEFAULT), (["--no-mirror-average"], False), (["--mirror-average"], True)]
)
def test_the_live_tracker_averages_over_the_mirror_as_told(flags, expected):
    import torch

    from tpmri_live.main import build_parser, load_tracker

    threads = str(torch.get_num_threads())  # load_tracker sets torch's thread count for the whole process
    args = build_parser().parse_args(["--demo", "--device", "cpu", "--threads", threads, *flags])
    tracker, description = load_tracker(args)
    assert tracker.mirror_average is expected and "on cpu" in description


SLOW_STEP_SCRIPT = """
import os, signal, sys, threading
sys.path.insert(0, {tests!r})
from live_fakes import FakeTracker
import tpmri_live.main as live

live.STEP_WAIT_S = {step_wait_s}
tracker = FakeTracker(step_s={step_s})
started = threading.Event()
original_track = tracker.track

def track(frame):
    if len(tracker.tracked) >= 2:  # two quick steps, then a slow one
        started.set()
        tracker.step_s = {step_s}
    else:
        tracker.step_s = 0.0
    return original_track(frame)

tracker.track = track

def interrupt():
    started.wait(60)
    threading.Event().wait(0.3)
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: the window closes in the middle of the slow step

threading.Thread(target=interrupt, daemon=True).start()
sys.exit(live.main({argv!r}, tracker_loader=lambda args: (tracker, "fake tracker")))
"""


@pytest.mark.parametrize(("step_s", "step_wait_s"), [(3.0, 5.0), (30.0, 0.5)], ids=["waited-for", "abandoned"])
def test_closing_the_window_during_a_slow_step_exits_0_with_results_complete(tmp_path, step_s, step_wait_s):
    out = tmp_path / "rec"
    argv = ["--demo", "--record-results", "--out", str(out), "--stats-json", str(tmp_path / "s.json")]
    script = SLOW_STEP_SCRIPT.format(tests=os.path.dirname(__file__), step_s=step_s, step_wait_s=step_wait_s, argv=argv)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "QThread" not in result.stderr and "Traceback" not in result.stderr
    (folder,) = out.iterdir()  # the Record button's folder
    text = (folder / "results.csv").read_text()
    assert text.endswith("\n")
    rows = read_rows(folder / "results.csv")
    assert [row["state"] for row in rows][:3] == ["init", "tracked", "tracked"]  # every finished step has its row
    video = cv2.VideoCapture(str(folder / "annotated.mp4"))
    assert video.isOpened() and int(video.get(cv2.CAP_PROP_FRAME_COUNT)) > 0  # closed properly: readable
    video.release()
    assert (tmp_path / "s.json").is_file()
    if step_wait_s < step_s:
        assert "not waiting for it" in result.stderr


def test_without_a_display_the_window_says_why_in_a_few_lines():
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    result = subprocess.run([sys.executable, "-m", "tpmri_live.main", "--demo"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2  # an ordinary error: no core dump, no 134
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 4 and "Traceback" not in result.stderr, result.stderr
    assert "no display" in lines[0] and "--headless" in result.stderr and "xvfb" in result.stderr


def test_a_missing_qt_library_names_the_debian_package(monkeypatch):
    from tpmri_live.gui import platform_check

    monkeypatch.setattr(platform_check, "xcb_plugin", lambda: platform_check.Path("/fake/libqxcb.so"))
    monkeypatch.setattr(platform_check, "missing_libraries", lambda plugin: ["libxcb-cursor.so.0"])
    problem = platform_check.environment_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, platform="linux")
    assert problem is not None and len(problem.splitlines()) <= 4
    assert "libxcb-cursor.so.0" in problem and "apt install libxcb-cursor0" in problem and "--headless" in problem
    assert platform_check.environment_problem({"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert platform_check.debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert platform_check.debian_package("libfoo.so.3") == "libfoo3"

"""`tpmri vot-workspace` and its parts: anchors, ground-truth lines, sequence folders, stack and trackers.ini."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tpmri_core.data.sequences import open_sequence
from tpmri_core.errors import UserError
from tpmri_core.vot.options import TrackerOptions
from tpmri_core.vot.sequence_writer import anchor_values, groundtruth_lines, write_vot_sequence
from tpmri_core.vot.stack import StackSpec, fitted_eao_range, stack_yaml
from tpmri_core.vot.tracker_entry import tracker_entry
from tpmri_core.vot.workspace import write_workspace
from tpmri_live.tpmri_command import main

NAN = float("nan")


def write_pair_sequence(
    folder: Path,
    frames: int = 6,
    rgb_wh: tuple[int, int] = (96, 72),
    tir_wh: tuple[int, int] | None = None,
    layout: str = "rgbt234",
    missing: tuple[int, ...] = (),
) -> np.ndarray:
    """A bright square moving right; RGBT234 (visible.txt) or GTOT (v/, i/, corner boxes) layout."""
    tir_wh = tir_wh or rgb_wh
    rgb_dir, tir_dir = ("visible", "infrared") if layout == "rgbt234" else ("v", "i")
    (folder / rgb_dir).mkdir(parents=True)
    (folder / tir_dir).mkdir()
    boxes = []
    for index in range(frames):
        x, y = 10 + 4 * index, 20
        rgb = np.full((rgb_wh[1], rgb_wh[0], 3), 30, np.uint8)
        rgb[y : y + 16, x : x + 12] = (40, 200, 220)
        tir = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_BGR2GRAY), tir_wh)
        cv2.imwrite(str(folder / rgb_dir / f"{index + 1:05d}v.jpg"), rgb)
        cv2.imwrite(str(folder / tir_dir / f"{index + 1:05d}i.jpg"), tir)
        boxes.append((NAN,) * 4 if index in missing else (x, y, 12, 16))
    gt = np.asarray(boxes, dtype=np.float64)
    if layout == "rgbt234":
        lines = ["0,0,0,0" if index in missing else ",".join(str(int(v)) for v in box) for index, box in enumerate(gt)]
        (folder / "visible.txt").write_text("\n".join(lines) + "\n")
        (folder / "infrared.txt").write_text("\n".join(lines) + "\n")
    else:
        corners = [f"{int(x)} {int(y)} {int(x + w)} {int(y + h)}" for x, y, w, h in gt]
        (folder / "groundTruth_v.txt").write_text("\n".join(corners) + "\n")
        (folder / "groundTruth_i.txt").write_text("\n".join(corners) + "\n")
    return gt


def test_anchors_every_spacing_frames_run_towards_the_farther_end() -> None:
    gt = np.tile([1.0, 1.0, 5.0, 5.0], (10, 1))
    assert anchor_values(gt, 3).tolist() == [1, 0, 0, 1, 0, 0, -1, 0, 0, -1]
    assert anchor_values(gt, 50).tolist() == [1] + [0] * 9


def test_anchors_move_past_frames_without_a_target() -> None:
    gt = np.tile([1.0, 1.0, 5.0, 5.0], (8, 1))
    gt[0:2] = NAN
    gt[4:8, 2] = 0  # zero width: no target either
    assert anchor_values(gt, 4).tolist() == [0, 0, 1, 0, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="at least 1"):
        anchor_values(gt, 0)


def test_groundtruth_lines_mark_missing_boxes_unknown() -> None:
    lines = groundtruth_lines(np.array([[1.5, 2.0, 10.25, 4.0], [NAN] * 4, [1, 1, 0, 3]]))
    assert lines == ["1.5,2,10.25,4", "0", "0"]


def test_eao_range_fits_short_sequences() -> None:
    assert fitted_eao_range([900, 2000]) == (115, 755)
    assert fitted_eao_range([24, 16]) == (4, 24)
    with pytest.raises(ValueError):
        StackSpec("t", 10, 5)


def test_stack_yaml_holds_the_experiments() -> None:
    yaml = pytest.importorskip("yaml")
    stack = yaml.safe_load(stack_yaml(StackSpec("My stack", 4, 24, realtime=True)))
    assert stack["title"] == "My stack"
    assert set(stack["experiments"]) == {"baseline", "supervised", "realtime"}
    baseline = stack["experiments"]["baseline"]
    assert baseline["type"] == "multistart" and "realtime" not in baseline
    assert {a["type"] for a in baseline["analyses"]} == {"multistart_average_ar", "multistart_eao_score", "multistart_eao_curve"}
    assert stack["experiments"]["realtime"]["realtime"] == {"grace": 3}
    supervised = stack["experiments"]["supervised"]
    assert supervised["skip_initialize"] == 5 and supervised["skip_tags"] == ["absent"]
    eao = next(a for a in supervised["analyses"] if a["type"] == "supervised_eao_score")
    assert (eao["low"], eao["high"]) == (4, 24)
    assert "realtime" not in yaml.safe_load(stack_yaml(StackSpec("t", 1, 2)))["experiments"]


def test_tracker_entry_reads_back_as_the_toolkit_reads_it(tmp_path: Path) -> None:
    weights = tmp_path / "100%" / "w.safetensors"
    text = tracker_entry(TrackerOptions(weights=weights, device="cpu", mirror_average=False))
    parser = configparser.ConfigParser()  # with interpolation, as vot.tracker.Registry reads it
    parser.read_string(text)
    entry = parser["TPMRI"]
    assert entry["protocol"] == "traxpython"
    assert entry["command"] == "tpmri_core.commands.vot_server"
    assert entry["python"] == sys.executable
    # The toolkit turns env_NAME keys (lower-cased by configparser) into upper-case variable names.
    env = {key[4:].upper(): value for key, value in entry.items() if key.startswith("env_")}
    assert env == {"TPMRI_DEVICE": "cpu", "TPMRI_MIRROR_AVERAGE": "0", "TPMRI_BACKEND": "auto", "TPMRI_WEIGHTS": str(weights.absolute())}
    with pytest.raises(UserError, match="identifier"):
        tracker_entry(TrackerOptions(), identifier="bad id")


def test_sequence_folder_links_aligned_images(tmp_path: Path) -> None:
    gt = write_pair_sequence(tmp_path / "src" / "walk", frames=6, missing=(3,))
    sequence = open_sequence(tmp_path / "src" / "walk")
    written = write_vot_sequence(sequence, tmp_path / "vot" / "walk", anchor_spacing=2)
    folder = tmp_path / "vot" / "walk"
    metadata = dict(line.split("=", 1) for line in (folder / "sequence").read_text().splitlines())
    assert metadata["channels.color"] == "color/%08d.jpg" and metadata["channels.ir"] == "ir/%08d.jpg"
    assert (metadata["width"], metadata["height"], metadata["length"]) == ("96", "72", "6")
    assert sorted(p.name for p in (folder / "color").iterdir()) == [f"{i:08d}.jpg" for i in range(1, 7)]
    assert (folder / "color" / "00000001.jpg").read_bytes() == sequence.rgb_paths[0].read_bytes()
    lines = (folder / "groundtruth.txt").read_text().splitlines()
    assert lines[0] == ",".join(str(int(v)) for v in gt[0]) and lines[3] == "0"
    # anchors at 0 and 2 run forward; the one for frames 2..3 is frame 2; frame 4 runs backward
    assert (folder / "anchor.value").read_text().split() == ["1", "0", "1", "0", "-1", "0"]
    assert (folder / "absent.tag").read_text().split() == ["0", "0", "0", "1", "0", "0"]
    assert (written.anchors, written.absent_frames, written.converted_ir) == (3, 1, False)


def test_gtot_thermal_at_another_size_is_registered_onto_the_visible_grid(tmp_path: Path) -> None:
    write_pair_sequence(tmp_path / "src" / "car", frames=3, rgb_wh=(96, 72), tir_wh=(48, 36), layout="gtot")
    sequence = open_sequence(tmp_path / "src" / "car")
    written = write_vot_sequence(sequence, tmp_path / "vot" / "car")
    folder = tmp_path / "vot" / "car"
    assert written.converted_ir
    assert "channels.ir=ir/%08d.png" in (folder / "sequence").read_text()
    ir = cv2.imread(str(folder / "ir" / "00000002.png"), cv2.IMREAD_UNCHANGED)
    assert ir.shape == (72, 96) and ir.dtype == np.uint8
    # GTOT corners x1 y1 x2 y2 became x,y,w,h
    assert (folder / "groundtruth.txt").read_text().splitlines()[1] == "14,20,12,16"


def test_workspace_has_config_stack_list_and_tracker(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_pair_sequence(tmp_path / "data" / name, frames=4)
    sequences = [open_sequence(tmp_path / "data" / name) for name in ("a", "b")]
    summary = write_workspace(tmp_path / "ws", sequences, TrackerOptions(device="cpu"), anchor_spacing=2)
    ws = tmp_path / "ws"
    assert (ws / "config.yaml").read_text() == "stack: stack.yaml\nregistry:\n- ./trackers.ini\n"
    assert (ws / "sequences" / "list.txt").read_text().split() == ["a", "b"]
    assert "[TPMRI]" in (ws / "trackers.ini").read_text()
    assert "low: 1\n        high: 4" in (ws / "stack.yaml").read_text()
    assert (ws / "results").is_dir() and summary.eao_range == (1, 4)
    assert not (tmp_path / "ws.partial").exists()
    with pytest.raises(UserError, match="not an empty folder"):
        write_workspace(ws, sequences, TrackerOptions())


def test_a_failing_sequence_leaves_no_workspace(tmp_path: Path) -> None:
    write_pair_sequence(tmp_path / "data" / "good", frames=3)
    (tmp_path / "data" / "plain" / "visible").mkdir(parents=True)
    (tmp_path / "data" / "plain" / "infrared").mkdir()
    for sub in ("visible", "infrared"):
        cv2.imwrite(str(tmp_path / "data" / "plain" / sub / "1.png"), np.zeros((8, 8), np.uint8))
    sequences = [open_sequence(tmp_path / "data" / "good"), open_sequence(tmp_path / "data" / "plain")]
    with pytest.raises(UserError, match="no ground truth"):
        write_workspace(tmp_path / "ws", sequences, TrackerOptions())
    assert not (tmp_path / "ws").exists() and not (tmp_path / "ws.partial").exists()


def test_command_writes_a_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("one", "two"):
        write_pair_sequence(tmp_path / "data" / name, frames=5)
    code = main(
        ["vot-workspace", str(tmp_path / "ws"), "--dataset", "rgbt234", "--root", str(tmp_path / "data"),
         "--sequences", "two", "--realtime", "--no-mirror-average", "--device", "cpu"]
    )
    assert code == 0
    assert (tmp_path / "ws" / "sequences" / "list.txt").read_text() == "two\n"
    assert "  realtime:\n    type: multistart\n    realtime:" in (tmp_path / "ws" / "stack.yaml").read_text()
    assert "env_TPMRI_MIRROR_AVERAGE = 0" in (tmp_path / "ws" / "trackers.ini").read_text()
    assert "vot evaluate --workspace" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sequences", "nope"], "no rgbt234 sequence named 'nope'"),
        (["--anchor-spacing", "0"], "--anchor-spacing 0 must be at least 1"),
        (["--eao-range", "9"], "--eao-range '9' must be LOW,HIGH"),
        (["--eao-range", "20,10"], "LOW is above HIGH"),
        (["--stack", "missing.yaml"], "stack file not found"),
        (["--stack", "vot2020/rgbtir", "--realtime"], "do not apply with --stack"),
        (["--weights", "no.safetensors"], "weights file no.safetensors not found"),
        (["--split", "test"], "--split applies to lasher only"),
        (["--id", "two words"], "identifier 'two words'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    write_pair_sequence(tmp_path / "data" / "one", frames=3)
    code = main(["vot-workspace", str(tmp_path / "ws"), "--dataset", "rgbt234", "--root", str(tmp_path / "data"), *extra])
    error = capsys.readouterr().err
    assert code == 2
    assert message in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "ws").exists()


def test_existing_output_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pair_sequence(tmp_path / "data" / "one", frames=3)
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "keep.txt").write_text("mine")
    code = main(["vot-workspace", str(tmp_path / "ws"), "--dataset", "rgbt234", "--root", str(tmp_path / "data")])
    assert code == 2 and "not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "ws" / "keep.txt").read_text() == "mine"

"""The single-modality baselines' shared loop and command line (CSRT, NanoTrack)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tpmri_core.baselines import csrt, nanotrack
from tpmri_core.baselines.single_modality import main, track_root
from tpmri_core.data.synth import SynthConfig, generate_sequence, write_sequence
from tpmri_core.evaluation.result_files import read_result_boxes_xywh


class _ShiftingTracker:
    """Answers the initial box moved one pixel right per update, and a miss on every third: a stand-in
    that lets the loop be checked without an OpenCV model."""

    def __init__(self) -> None:
        self.box = None
        self.calls = 0
        self.shapes: list[tuple[int, ...]] = []

    def init(self, image, box) -> None:
        self.box = np.array(box, dtype=float)
        self.shapes.append(image.shape)

    def update(self, image):
        self.calls += 1
        self.shapes.append(image.shape)
        self.box = self.box + [1, 0, 0, 0]
        return self.calls % 3 != 0, tuple(self.box)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("baseline_root")
    config = SynthConfig(width=160, height=120, scenario="clean")
    for index in range(2):
        write_sequence(generate_sequence(index, 5, config), folder / f"seq{index}")
    (folder / "attr_txt").mkdir()  # not a sequence: skipped
    return folder


def test_track_root_writes_one_file_per_sequence_keeps_the_last_box_after_a_miss_and_resumes(root: Path, tmp_path: Path) -> None:
    made: list[_ShiftingTracker] = []

    def create() -> _ShiftingTracker:
        made.append(_ShiftingTracker())
        return made[-1]

    assert track_root(root, tmp_path / "tir", "tir", create) == 2
    boxes = read_result_boxes_xywh(tmp_path / "tir" / "seq0.txt")
    first = np.loadtxt(root / "seq0" / "visible.txt", delimiter=",")[0]
    assert boxes.shape == (5, 4) and np.allclose(boxes[0], first)
    assert np.allclose(boxes[1:, 0] - first[0], [1, 2, 2, 4])  # update 3 was a miss: box of update 2 kept
    assert made[0].shapes[0] == (120, 160, 3)  # thermal goes in as three channels
    assert track_root(root, tmp_path / "tir", "tir", create) == 0


def test_nanotrack_names_a_missing_model_file(tmp_path: Path, capsys) -> None:
    code = nanotrack.main(["--model-dir", str(tmp_path), "--root", str(tmp_path), "--results", str(tmp_path / "r"), "--modality", "rgb"])
    assert code == 2
    assert "backbone.onnx: NanoTrack model file not found" in capsys.readouterr().err


def test_both_modalities_go_to_their_own_folders(root: Path, tmp_path: Path) -> None:
    code = main(
        ["--root", str(root), "--results", str(tmp_path / "fake"), "--modality", "both"], "fake", "a stand-in",
        lambda args: _ShiftingTracker,
    )
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "fake" / "rgb").iterdir()) == ["seq0.txt", "seq1.txt"]
    assert sorted(p.name for p in (tmp_path / "fake" / "tir").iterdir()) == ["seq0.txt", "seq1.txt"]


def _moving_square_sequence(folder: Path, frames: int = 8) -> np.ndarray:
    """A textured square sliding 2 px a frame over a textured background, in the plain layout."""
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(rng.integers(0, 255, (120, 160), dtype=np.uint8), (0, 0), 2)
    square = rng.integers(0, 255, (24, 24), dtype=np.uint8)
    (folder / "visible").mkdir(parents=True)
    (folder / "infrared").mkdir()
    truth = []
    for index in range(frames):
        image = background.copy()
        x, y = 40 + 2 * index, 50
        image[y : y + 24, x : x + 24] = square
        cv2.imwrite(str(folder / "visible" / f"{index:05d}.png"), cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
        cv2.imwrite(str(folder / "infrared" / f"{index:05d}.png"), image)
        truth.append((x, y, 24, 24))
    (folder / "groundtruth.txt").write_text("".join(",".join(map(str, box)) + "\n" for box in truth))
    return np.array(truth, dtype=float)


@pytest.mark.skipif(not hasattr(cv2, "TrackerCSRT"), reason="CSRT needs opencv-contrib-python")
def test_csrt_follows_a_sliding_square(tmp_path: Path) -> None:
    truth = _moving_square_sequence(tmp_path / "root" / "square")
    assert csrt.main(["--root", str(tmp_path / "root"), "--results", str(tmp_path / "r"), "--modality", "tir"]) == 0
    boxes = read_result_boxes_xywh(tmp_path / "r" / "square.txt")
    assert np.abs(boxes[:, :2] + boxes[:, 2:] / 2 - truth[:, :2] - truth[:, 2:] / 2).max() < 3

"""Writing generated sequences in the RGBT234 layout, and the `tpmri synth` command."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tpmri_core.data.synth import EVENT_NAMES, SynthConfig, generate_sequence, write_sequence
from tpmri_live.tpmri_command import main


def _boxes(path: Path) -> np.ndarray:
    return np.array([[float(v) for v in line.split(",")] for line in path.read_text().splitlines()])


def test_write_sequence_produces_rgbt234_files_that_read_back(tmp_path: Path) -> None:
    frames = list(generate_sequence(11, 9, SynthConfig(scenario="occlusion")))
    count = write_sequence(
        iter(frames), tmp_path / "seq", seed=11, config=SynthConfig(scenario="occlusion"), save_tir_raw=True
    )
    folder = tmp_path / "seq"
    assert count == 9
    assert sorted(p.name for p in (folder / "visible").iterdir()) == [f"{k:05d}v.jpg" for k in range(1, 10)]
    assert sorted(p.name for p in (folder / "infrared").iterdir()) == [f"{k:05d}i.jpg" for k in range(1, 10)]
    for name, attribute in (
        ("visible.txt", "box_xywh_rgb"),
        ("init.txt", "box_xywh_rgb"),
        ("infrared.txt", "box_xywh_tir"),
    ):
        boxes = _boxes(folder / name)
        assert boxes.shape == (9, 4)
        assert np.allclose(boxes, [getattr(f, attribute) for f in frames], atol=1.0)
    rgb = cv2.cvtColor(cv2.imread(str(folder / "visible" / "00005v.jpg")), cv2.COLOR_BGR2RGB)
    tir = cv2.imread(str(folder / "infrared" / "00005i.jpg"), cv2.IMREAD_GRAYSCALE)
    assert np.abs(rgb.astype(int) - frames[4].rgb).mean() < 6
    assert np.abs(tir.astype(int) - frames[4].tir).mean() < 4
    raw = cv2.imread(str(folder / "infrared_raw" / "00005i.png"), cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16 and np.array_equal(raw, frames[4].tir_raw)
    rows = (folder / "events.csv").read_text().splitlines()
    assert rows[0] == "frame," + ",".join(EVENT_NAMES) and len(rows) == 10
    for row, frame in zip(rows[1:], frames, strict=True):
        number, *flags = row.split(",")
        assert int(number) == frame.index + 1
        assert {name for name, flag in zip(EVENT_NAMES, flags, strict=True) if flag == "1"} == frame.events
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["seed"] == 11 and meta["num_frames"] == 9 and meta["config"]["scenario"] == "occlusion"


def test_tpmri_synth_writes_named_deterministic_sequences(tmp_path: Path) -> None:
    args = [
        "synth",
        str(tmp_path / "a"),
        "--sequences",
        "2",
        "--frames",
        "4",
        "--seed",
        "7",
        "--width",
        "160",
        "--height",
        "120",
    ]
    assert main(args) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["synth_s7_0000_mixed", "synth_s7_0001_mixed"]
    for name in names:
        assert len((tmp_path / "a" / name / "visible.txt").read_text().splitlines()) == 4
        assert cv2.imread(str(tmp_path / "a" / name / "visible" / "00001v.jpg")).shape == (120, 160, 3)
    first, second = (json.loads((tmp_path / "a" / name / "meta.json").read_text())["seed"] for name in names)
    assert first != second
    assert main([*args[:1], str(tmp_path / "b"), *args[2:]]) == 0
    for name in names:
        assert (tmp_path / "a" / name / "visible.txt").read_text() == (
            tmp_path / "b" / name / "visible.txt"
        ).read_text()
    assert (
        main(
            [
                "synth",
                str(tmp_path / "c"),
                "--frames",
                "3",
                "--scenario",
                "crossover",
                "--width",
                "160",
                "--height",
                "120",
            ]
        )
        == 0
    )
    assert (tmp_path / "c" / "synth_s0_0000_crossover" / "events.csv").exists()


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--sequences", "0"], "--sequences"),
        (["--frames", "ten"], "--frames"),
        (["--scenario", "rain"], "--scenario"),
        (["--width", "10"], "--width"),
        (["--seed", "-3"], "--seed"),
    ],
)
def test_tpmri_synth_rejects_bad_arguments_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], fragment: str
) -> None:
    assert main(["synth", str(tmp_path / "out"), *extra]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and fragment in error
    assert not (tmp_path / "out").exists()


def test_tpmri_synth_refuses_a_file_as_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["synth", str(target), "--frames", "2"]) == 2
    assert "not a folder" in capsys.readouterr().err

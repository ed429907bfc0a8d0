"""The VOT server without the toolkit: the session it runs, its options, and its one-line failures."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tpmri_core.commands import vot_server
from tpmri_core.errors import UserError
from tpmri_core.tracking.tracker import Tracker
from tpmri_core.vot.options import TrackerOptions, add_tracker_options, build_tracker, tracker_options
from tpmri_core.vot.server import VotSession, import_trax


def write_pair(folder: Path, index: int, x: int, tir_wh: tuple[int, int] = (96, 72)) -> tuple[Path, Path]:
    rgb = np.full((72, 96, 3), 40, np.uint8)
    rgb[20:36, x : x + 12] = 220
    tir = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_BGR2GRAY), tir_wh)
    rgb_path, tir_path = folder / f"c{index}.png", folder / f"i{index}.png"
    cv2.imwrite(str(rgb_path), rgb)
    cv2.imwrite(str(tir_path), tir)
    return rgb_path, tir_path


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_tracker_options(parser)
    return parser.parse_args(argv)


def test_session_initializes_tracks_and_restarts(tmp_path: Path, make_tiny_model) -> None:
    session = VotSession(Tracker(make_tiny_model(), device="cpu"))
    with pytest.raises(RuntimeError, match="before initialize"):
        session.track(*write_pair(tmp_path, 0, 10))
    first = session.initialize(*write_pair(tmp_path, 0, 10), (10.0, 20.0, 12.0, 16.0))
    assert first.box_xywh == (10.0, 20.0, 12.0, 16.0) and first.confidence == 1.0
    # thermal at half size: the session registers it onto the visible grid as tpmri track does
    answer = session.track(*write_pair(tmp_path, 1, 14, tir_wh=(48, 36)))
    assert len(answer.box_xywh) == 4 and answer.box_xywh[2] > 0 and answer.box_xywh[3] > 0
    assert 0.0 <= answer.confidence <= 1.0
    assert session.frame_index == 1
    # a re-initialisation (after a failure in a supervised experiment) starts from the new box
    again = session.initialize(*write_pair(tmp_path, 2, 50), (50.0, 20.0, 12.0, 16.0))
    assert again.box_xywh == (50.0, 20.0, 12.0, 16.0) and session.frame_index == 0
    assert session.tracker.box_xywh.tolist() == [50.0, 20.0, 12.0, 16.0]
    with pytest.raises(ValueError, match="outside"):
        session.initialize(*write_pair(tmp_path, 3, 10), (500.0, 20.0, 12.0, 16.0))


def test_options_come_from_flags_then_environment() -> None:
    environ = {"TPMRI_DEVICE": "cuda", "TPMRI_MIRROR_AVERAGE": "off", "TPMRI_WEIGHTS": "/w.safetensors"}
    options = tracker_options(parse([]), environ)
    assert options == TrackerOptions(weights=Path("/w.safetensors"), device="cuda", mirror_average=False)
    options = tracker_options(parse(["--device", "cpu", "--mirror-average"]), environ)
    assert (options.device, options.mirror_average) == ("cpu", True)
    assert tracker_options(parse([]), {}) == TrackerOptions()
    with pytest.raises(UserError, match="TPMRI_MIRROR_AVERAGE='maybe'"):
        tracker_options(parse([]), {"TPMRI_MIRROR_AVERAGE": "maybe"})


def test_environment_round_trips_to_the_same_options(tmp_path: Path) -> None:
    options = TrackerOptions(weights=tmp_path / "w.safetensors", variant="tpmri-tiny", device="cpu", mirror_average=False)
    assert tracker_options(parse([]), options.environment()) == options


def test_bad_setup_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="weights file .*nothing.safetensors not found"):
        build_tracker(TrackerOptions(weights=tmp_path / "nothing.safetensors", device="cpu"))
    with pytest.raises(UserError, match="device 'tpu'"):
        build_tracker(TrackerOptions(device="tpu"))


def test_missing_trax_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "trax", None)  # what an absent package looks like to import
    with pytest.raises(UserError, match="vot-trax"):
        import_trax()
    assert vot_server.main(["--device", "cpu"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("tpmri vot-server: error: ") and "pip install" in error and error.count("\n") == 1


def test_print_entry_names_this_interpreter(capsys: pytest.CaptureFixture[str]) -> None:
    assert vot_server.main(["--print-entry", "--device", "cpu", "--id", "TPMRI_cpu"]) == 0
    entry = capsys.readouterr().out
    assert entry.startswith("[TPMRI_cpu]\n") and f"python = {sys.executable}" in entry
    assert "env_TPMRI_DEVICE = cpu" in entry


def run_server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tpmri_core.commands.vot_server", *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )


def test_server_with_missing_weights_stops_before_the_handshake(tmp_path: Path) -> None:
    pytest.importorskip("trax")
    completed = run_server("--weights", str(tmp_path / "none.safetensors"))
    assert completed.returncode == 2 and "@@TRAX:hello" not in completed.stdout
    assert completed.stderr.strip().splitlines() == [f"tpmri vot-server: error: weights file {tmp_path / 'none.safetensors'} not found"]


def test_server_without_a_client_exits_instead_of_waiting() -> None:
    """Started outside the toolkit (stdin closed), it greets, finds no client and exits: no hang, no traceback."""
    pytest.importorskip("trax")
    completed = run_server("--device", "cpu", "--no-mirror-average")
    assert completed.stdout.startswith("@@TRAX:hello") and "trax.channels=color;ir;" in completed.stdout
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tpmri vot-server: error: TraX connection lost")

"""`tpmri compare`: tracking several roots with several trackers into one SR / PR table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tpmri_core.data.synth import SynthConfig, generate_sequence, write_sequence
from tpmri_core.evaluation.comparison import Cell, ComparisonRow, markdown_table, mean_row
from tpmri_live.tpmri_command import main


def test_markdown_table_bolds_the_best_sr_and_leaves_missing_cells_empty() -> None:
    rows = [
        ComparisonRow("a", "2 seq", (Cell(0.5, 0.7, 2, 20), Cell(0.6, 0.65, 2, 20), None)),
        ComparisonRow("b", "2 seq", (Cell(0.7, 0.9, 2, 20), Cell(0.2, 0.3, 2, 20), None)),
    ]
    table = markdown_table([*rows, mean_row("mean", rows)], ["x", "y", "z"])
    lines = table.splitlines()
    assert lines[0] == "| set | size | x | y | z |"
    assert lines[2] == "| a | 2 seq | 50.0 / 70.0 | **60.0 / 65.0** |  |"
    assert lines[4] == "| mean | 4 seq | **60.0 / 80.0** | 40.0 / 47.5 |  |"


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("compare_roots")
    made = {}
    for scenario in ("clean", "darkness"):
        config = SynthConfig(width=160, height=120, scenario=scenario)
        for index in range(2):
            write_sequence(generate_sequence(index, 4, config), base / scenario / f"s{index}")
        made[scenario] = base / scenario
    return made


def test_compare_tracks_scores_and_writes_the_table(roots: dict[str, Path], tmp_path: Path, capsys) -> None:
    table = tmp_path / "table.md"
    code = main(
        ["compare", "--root", f"clean={roots['clean']}", "--root", f"darkness={roots['darkness']}",
         "--results", str(tmp_path / "r"), "--trackers", "tpmri-no-mirror", "--workers", "1",
         "--mean", "generated=clean,darkness", "--markdown", str(table)]
    )
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "r" / "tpmri-no-mirror" / "clean").glob("*.txt")) == ["s0.txt", "s1.txt"]
    text = table.read_text()
    assert "| set | size | tpmri-no-mirror |" in text
    assert "| darkness / darkness (frames) |" in text
    assert "| generated | 4 seq |" in text


def test_compare_tracks_tpmri_with_the_default_backend_of_every_command(roots: dict[str, Path], tmp_path: Path, monkeypatch) -> None:
    # The table's TPMRI column must be the tracker `tpmri track` runs (ONNX Runtime on a CPU), not PyTorch.
    import tpmri_core.tracking.dataset_run as dataset_run
    from tpmri_core.commands.tracker_options import BACKEND_DEFAULT

    backends = []
    real_run_dataset = dataset_run.run_dataset

    def recording_run_dataset(*args, **kwargs):
        backends.append(kwargs.get("backend"))
        return real_run_dataset(*args, **kwargs)

    monkeypatch.setattr(dataset_run, "run_dataset", recording_run_dataset)
    common = ["compare", "--root", f"clean={roots['clean']}", "--trackers", "tpmri", "--workers", "1", "--no-attributes"]
    assert main([*common, "--results", str(tmp_path / "default")]) == 0
    assert main([*common, "--results", str(tmp_path / "torch"), "--backend", "torch"]) == 0
    assert backends == [BACKEND_DEFAULT, "torch"]


def test_compare_names_bad_arguments(roots: dict[str, Path], tmp_path: Path, capsys) -> None:
    assert main(["compare", "--root", "nothing", "--results", str(tmp_path)]) == 2
    assert "expected NAME=DIR" in capsys.readouterr().err
    assert main(["compare", "--root", f"a={roots['clean']}", "--results", str(tmp_path), "--trackers", "kcf"]) == 2
    assert "--trackers 'kcf'" in capsys.readouterr().err
    assert main(["compare", "--root", f"a={roots['clean']}", "--results", str(tmp_path), "--trackers", "nanotrack-tir"]) == 2
    assert "needs --nanotrack-dir" in capsys.readouterr().err
    assert main(["compare", "--root", f"a={roots['clean']}", "--results", str(tmp_path), "--mean", "m=a,b"]) == 2
    assert "'b' is not a --root name" in capsys.readouterr().err

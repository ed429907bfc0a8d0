"""The alpha(t) plot reads tracking details and synthetic events and writes a PNG."""

from __future__ import annotations

import numpy as np

from tpmri_core.evaluation.alpha_plot import main, read_alpha_means, read_events


def _write_inputs(folder):
    sequence = folder / "seq"
    sequence.mkdir()
    (sequence / "events.csv").write_text(
        "frame,darkness,overexposure,crossover,occlusion,distractor\n"
        + "".join(f"{i + 1},{int(3 <= i < 6)},0,0,0,0\n" for i in range(8))
    )
    details = folder / "details.csv"
    details.write_text("frame,x,y,w,h,score,alpha_mean,lost,step_ms\n" + "".join(
        f"{i},1,1,5,5,0.9,{'nan' if i == 0 else 0.6 - 0.05 * i},0,20\n" for i in range(8)
    ))
    return sequence, details


def test_reads_alpha_and_events(tmp_path):
    sequence, details = _write_inputs(tmp_path)
    alpha = read_alpha_means(details)
    assert np.isnan(alpha[0]) and abs(alpha[3] - 0.45) < 1e-9 and len(alpha) == 8
    events = read_events(sequence)
    assert events["darkness"].tolist() == [False] * 3 + [True] * 3 + [False] * 2
    assert not events["crossover"].any()


def test_writes_a_png_and_refuses_bad_inputs(tmp_path, capsys):
    sequence, details = _write_inputs(tmp_path)
    out = tmp_path / "alpha.png"
    assert main(["--sequence", str(sequence), "--details", str(details), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["--sequence", str(sequence), "--details", str(tmp_path / "missing.csv"), "--out", str(out)]) == 2
    assert "missing.csv does not exist" in capsys.readouterr().err

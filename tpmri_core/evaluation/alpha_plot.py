"""Plot TMR's alpha(t) for tracked synthetic sequences, with the frames of each event shaded.

    tpmri track SEQ --out boxes.txt --details details.csv
    python -m tpmri_core.evaluation.alpha_plot --sequence SEQ --details details.csv [...] --out alpha.png

alpha is the RGB preference: 1 trusts RGB, 0 trusts thermal. The paper expects it to fall in RGB darkness
and rise in thermal crossover.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from tpmri_core.errors import UserError, run_command

EVENT_COLOURS = {"darkness": "#4c4c8a", "overexposure": "#e0b000", "crossover": "#c0392b", "occlusion": "#7f8c8d", "distractor": "#16a085"}


def read_alpha_means(details_csv: Path) -> np.ndarray:
    if not details_csv.is_file():
        raise UserError(f"details file {details_csv} does not exist")
    with details_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "alpha_mean" not in rows[0]:
        raise UserError(f"details file {details_csv} has no alpha_mean column")
    return np.array([float(r["alpha_mean"]) if r["alpha_mean"] not in ("", "nan") else np.nan for r in rows])


def read_events(sequence_dir: Path) -> dict[str, np.ndarray]:
    """Per-event 0/1 arrays indexed from frame 0 (events.csv counts from 1)."""
    path = sequence_dir / "events.csv"
    if not path.is_file():
        raise UserError(f"{path} does not exist (only synthetic sequences record events)")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    names = [n for n in rows[0] if n != "frame"] if rows else []
    return {name: np.array([int(r[name]) for r in rows], dtype=bool) for name in names}


def save_alpha_plot(panels: list[tuple[str, np.ndarray, dict[str, np.ndarray]]], out_path: Path) -> None:
    """One panel per (title, alpha means, events) with the active events shaded."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(8, 2.4 * len(panels)), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    for axis, (title, alpha, events) in zip(axes, panels):
        frames = np.arange(len(alpha))
        shown = []
        for name, active in events.items():
            if not active.any():
                continue
            shown.append(name)
            axis.fill_between(np.arange(len(active)), 0, 1, where=active, step="mid", color=EVENT_COLOURS.get(name, "#999999"), alpha=0.25, linewidth=0)
        axis.plot(frames, alpha, color="black", linewidth=1.4)
        axis.axhline(0.5, color="grey", linewidth=0.6, linestyle=":")
        axis.set_ylim(0, 1)
        axis.set_xlim(0, max(1, len(alpha) - 1))
        axis.set_ylabel("alpha (RGB trust)")
        axis.set_title(title, fontsize=10)
        axis.legend(handles=[Patch(color=EVENT_COLOURS.get(n, "#999999"), alpha=0.4, label=n) for n in shown], loc="upper right", fontsize=8)
    axes[-1].set_xlabel("frame")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plot alpha(t) of tracked synthetic sequences with their events shaded.")
    parser.add_argument("--sequence", type=Path, action="append", required=True, help="sequence folder (repeat)")
    parser.add_argument("--details", type=Path, action="append", required=True, help="tpmri track --details CSV (same order)")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    args = parser.parse_args(argv)

    def plot() -> None:
        if len(args.sequence) != len(args.details):
            raise UserError("give one --details file per --sequence")
        panels = [(seq.name, read_alpha_means(det), read_events(seq)) for seq, det in zip(args.sequence, args.details)]
        save_alpha_plot(panels, args.out)
        print(f"wrote {args.out}")

    return run_command("alpha_plot", plot)


if __name__ == "__main__":
    sys.exit(main())

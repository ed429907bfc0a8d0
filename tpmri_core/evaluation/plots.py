"""Precision, normalised precision and success plots as PNG files (matplotlib, Agg).

matplotlib is imported inside the function so that scoring alone does not pay for it, and only its
object API is used (Figure + Agg canvas, no pyplot), so a GUI process's backend is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf
from pathlib import Path

import numpy as np

from tpmri_core.evaluation.scores import BenchmarkScore


def save_benchmark_plots(
    trackers: SequenceOf[tuple[str, BenchmarkScore]], out_dir: Path, title_prefix: str = ""
) -> tuple[Path, ...]:
    """Write `<dataset>_precision.png`, `<dataset>_success.png` (and `_normalized_precision.png`).

    Args:
        trackers: (tracker name, its score) pairs on the same dataset; the legend ranks them.
        out_dir: folder to write into (created).
        title_prefix: text before each title, e.g. an attribute name.
    """
    if not trackers:
        raise ValueError("no tracker scores to plot")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    protocol = trackers[0][1].protocol
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = protocol.dataset
    panels = [
        (
            "precision", protocol.precision_thresholds_px, lambda s: s.precision_curve, lambda s: s.pr,
            "Location error threshold (px)", "Precision", f"Precision plot ({protocol.precision_label})",
        ),
        (
            "success", protocol.success_thresholds, lambda s: s.success_curve, lambda s: s.sr,
            "Overlap threshold", "Success rate", f"Success plot ({protocol.success_label})",
        ),
    ]
    if protocol.has_normalized_precision:
        panels.insert(1, (
            "normalized_precision", protocol.normalized_precision_thresholds,
            lambda s: s.normalized_precision_curve, lambda s: s.npr,
            "Normalized location error threshold", "Normalized precision", "Normalized precision plot (NPR)",
        ))
    written = []
    for key, thresholds, curve_of, value_of, x_label, y_label, title in panels:
        figure = Figure(figsize=(5.5, 4.5), dpi=120)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        ranked = sorted(trackers, key=lambda pair: value_of(pair[1]), reverse=True)
        for name, score in ranked:
            label = f"{name} [{100 * value_of(score):.1f}]"
            axes.plot(thresholds, np.asarray(curve_of(score)), linewidth=2, label=label)
        axes.set(xlabel=x_label, ylabel=y_label, ylim=(0, 1), xlim=(thresholds[0], thresholds[-1]))
        n_sequences = len(ranked[0][1].sequence_names)
        axes.set_title(f"{title_prefix}{title} on {protocol.display_name}, {n_sequences} sequences")
        axes.grid(alpha=0.3)
        axes.legend(loc="lower left" if key == "success" else "lower right")
        figure.tight_layout()
        path = out_dir / f"{dataset}_{key}.png"
        figure.savefig(path)
        written.append(path)
    return tuple(written)

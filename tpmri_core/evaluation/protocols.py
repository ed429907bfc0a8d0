"""Each benchmark's scoring conventions, as the community computes them (the PyPI toolkit `rgbt` 1.0).

What differs between datasets, all of it on purpose so that new numbers compare with published ones:

- RGBT234 (MPR / MSR): per frame the smaller centre error / larger overlap over the visible and the
  thermal ground truth; precision at 20 px (error <= threshold); success = mean of the success rate
  at 21 overlap thresholds 0, 0.05, ..., 1 (overlap > threshold); sequences weigh equally.
- RGBT210 (PR / SR): one aligned ground truth (init.txt); the first result box is replaced by the
  ground truth; otherwise as RGBT234.
- GTOT (MPR / MSR): both ground truths as RGBT234, but precision at 5 px with error < threshold
  (thresholds 0..25 px in 0.5 px steps), success = trapezoidal area under the curve, and every frame
  of the dataset weighs equally (sums over all frames, not a mean of sequence means).
- LasHeR test (PR / NPR / SR): one aligned ground truth; first result box replaced by the ground truth;
  result boxes of non-positive width or height are replaced by the previous box; frames whose ground
  truth has any coordinate <= 0 (absent target, but also a box touching the left or top image edge)
  count as hits for PR and NPR and as misses for SR; NPR at 0.2 (thresholds 0..0.5 in 0.01 steps)
  measures the centre error in ground-truth widths and heights.
- All: result boxes are rounded to whole pixels (the toolkit loads result files with `.round(0)`;
  LasHeR's ground truth too); results longer than the ground truth are cut.

One deliberate difference: we compute in float64, the toolkit in float32. With whole-pixel boxes an
overlap often equals a threshold exactly (e.g. 3/20); float32 rounding then sometimes counts it as
above. On the toolkit's own ground truth this moves SR and NPR by at most ~0.03 points; PR agrees exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tpmri_core.errors import UserError


@dataclass(frozen=True)
class BenchmarkProtocol:
    """How one benchmark turns per-frame errors into PR, NPR and SR.

    Args:
        dataset: dataset name ('rgbt234', 'rgbt210', 'gtot', 'lasher').
        both_ground_truths: score each frame against the visible and the thermal ground truth and
            keep the better (MPR / MSR); else the visible one only.
        precision_step_px, precision_max_px: precision thresholds 0, step, ..., max.
        precision_at_px: the threshold PR reports.
        precision_strictly_below: a hit is error < threshold (GTOT) instead of <=.
        normalized_precision_at: the NPR threshold, None where the benchmark has no NPR.
        success_summary: 'mean' of the 21 sampled success rates, or 'trapezoid' area under them.
        frame_weighted: every frame of the dataset counts equally (GTOT) instead of every sequence.
        round_boxes: round result boxes to whole pixels before scoring.
        round_ground_truth: round ground truth too (LasHeR's is read like a result file).
        first_frame_from_ground_truth: the first result box is replaced by the ground truth.
        hold_empty_boxes: a result box of non-positive width or height repeats the previous one.
        nonpositive_ground_truth_is_absent: ground truth with any coordinate <= 0 means 'no ground truth'.
        absent_counts_as_precision_hit: frames without ground truth count as PR/NPR hits (else misses);
            they are always SR misses.
        precision_label, success_label: the names the benchmark's papers use.
        display_name: the dataset's name as its papers spell it.
    """

    dataset: str
    both_ground_truths: bool
    precision_step_px: float = 1.0
    precision_max_px: float = 50.0
    precision_at_px: float = 20.0
    precision_strictly_below: bool = False
    normalized_precision_at: float | None = None
    success_summary: str = "mean"
    frame_weighted: bool = False
    round_boxes: bool = True
    round_ground_truth: bool = False
    first_frame_from_ground_truth: bool = False
    hold_empty_boxes: bool = False
    nonpositive_ground_truth_is_absent: bool = False
    absent_counts_as_precision_hit: bool = False
    precision_label: str = "PR"
    success_label: str = "SR"
    display_name: str = ""

    @property
    def precision_thresholds_px(self) -> np.ndarray:
        count = int(round(self.precision_max_px / self.precision_step_px)) + 1
        return np.linspace(0.0, self.precision_max_px, count)

    @property
    def normalized_precision_thresholds(self) -> np.ndarray | None:
        return None if self.normalized_precision_at is None else np.linspace(0.0, 0.5, 51)

    @property
    def success_thresholds(self) -> np.ndarray:
        return np.linspace(0.0, 1.0, 21)

    @property
    def has_normalized_precision(self) -> bool:
        return self.normalized_precision_at is not None


PROTOCOLS: dict[str, BenchmarkProtocol] = {
    "rgbt234": BenchmarkProtocol(
        "rgbt234", both_ground_truths=True, precision_label="MPR", success_label="MSR", display_name="RGBT234",
    ),
    "rgbt210": BenchmarkProtocol(
        "rgbt210", both_ground_truths=False, first_frame_from_ground_truth=True, display_name="RGBT210",
    ),
    "gtot": BenchmarkProtocol(
        "gtot", both_ground_truths=True, precision_step_px=0.5, precision_max_px=25.0, precision_at_px=5.0,
        precision_strictly_below=True, success_summary="trapezoid", frame_weighted=True,
        precision_label="MPR", success_label="MSR", display_name="GTOT",
    ),
    "lasher": BenchmarkProtocol(
        "lasher", both_ground_truths=False, normalized_precision_at=0.2, round_ground_truth=True,
        first_frame_from_ground_truth=True, hold_empty_boxes=True, nonpositive_ground_truth_is_absent=True,
        absent_counts_as_precision_hit=True, display_name="LasHeR test",
    ),
}


EVALUATED_DATASETS: tuple[str, ...] = tuple(PROTOCOLS)


def protocol_for(dataset: str) -> BenchmarkProtocol:
    try:
        return PROTOCOLS[dataset]
    except KeyError:
        raise UserError(
            f"no evaluation protocol for dataset {dataset!r}; choose one of {', '.join(PROTOCOLS)}"
        ) from None

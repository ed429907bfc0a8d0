"""From result boxes and ground truth to per-sequence curves and benchmark PR / NPR / SR.

Pure functions over arrays; which conventions apply is the `BenchmarkProtocol`'s business. Frames
without ground truth are explicit (`has_ground_truth`) and count as the protocol says.
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf
from dataclasses import dataclass

import numpy as np

from tpmri_core.evaluation.box_errors import center_errors_px, normalized_center_errors, overlaps
from tpmri_core.evaluation.protocols import BenchmarkProtocol


@dataclass(frozen=True, eq=False)
class SequenceScore:
    """Per-frame errors of one sequence and its curves (fraction of frames that hit per threshold).

    Args:
        name: sequence name.
        center_errors_px: (N,) centre error, the smaller over the ground truths the protocol uses;
            NaN where the frame has no ground truth or the result box is NaN.
        normalized_center_errors: (N,) the same in ground-truth widths/heights, None without NPR.
        overlaps: (N,) IoU, the larger over the ground truths; NaN without ground truth.
        has_ground_truth: (N,) bool.
        precision_curve: (len(protocol.precision_thresholds_px),).
        normalized_precision_curve: (51,) or None.
        success_curve: (21,).
    """

    name: str
    center_errors_px: np.ndarray
    normalized_center_errors: np.ndarray | None
    overlaps: np.ndarray
    has_ground_truth: np.ndarray
    precision_curve: np.ndarray
    normalized_precision_curve: np.ndarray | None
    success_curve: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(len(self.overlaps))


@dataclass(frozen=True, eq=False)
class BenchmarkScore:
    """A tracker's score on a set of sequences; pr, npr, sr are fractions in [0, 1].

    The curves are over the protocol's thresholds, averaged the protocol's way (per sequence or
    per frame), ready to plot.
    """

    protocol: BenchmarkProtocol
    sequence_names: tuple[str, ...]
    n_frames: int
    pr: float
    npr: float | None
    sr: float
    precision_curve: np.ndarray
    normalized_precision_curve: np.ndarray | None
    success_curve: np.ndarray


def round_boxes_like_toolkit(boxes_xywh: np.ndarray) -> np.ndarray:
    """Whole pixels, halves to even, after the toolkit's float32 parsing (np.loadtxt(..., float32).round(0))."""
    return np.round(np.asarray(boxes_xywh, dtype=np.float64).astype(np.float32)).astype(np.float64)


def prepare_result_boxes(
    protocol: BenchmarkProtocol, result_boxes_xywh: np.ndarray, first_gt_xywh: np.ndarray, n_frames: int
) -> np.ndarray:
    """The result boxes the protocol scores: cut to the ground truth, rounded, first frame and empty boxes handled."""
    boxes = np.asarray(result_boxes_xywh, dtype=np.float64).reshape(-1, 4)
    if len(boxes) < n_frames:
        raise ValueError(f"{len(boxes)} result boxes for {n_frames} annotated frames")
    boxes = boxes[:n_frames].copy()
    if protocol.round_boxes:
        boxes = round_boxes_like_toolkit(boxes)
    if protocol.first_frame_from_ground_truth:
        boxes[0] = first_gt_xywh
    if protocol.hold_empty_boxes:
        empty = (boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)
        empty[0] = False
        last_kept = np.maximum.accumulate(np.where(empty, 0, np.arange(n_frames)))
        boxes = boxes[last_kept]
    return boxes


def absent_ground_truth(protocol: BenchmarkProtocol, gt_xywh: np.ndarray) -> np.ndarray:
    """(N,) True where a ground-truth row does not count as a box under this protocol."""
    absent = ~np.isfinite(gt_xywh).all(axis=1) | (gt_xywh[:, 2] <= 0) | (gt_xywh[:, 3] <= 0)
    if protocol.nonpositive_ground_truth_is_absent:
        absent |= (gt_xywh <= 0).any(axis=1)
    return absent


def score_sequence(
    protocol: BenchmarkProtocol,
    result_boxes_xywh: np.ndarray,
    gt_rgb_xywh: np.ndarray,
    gt_tir_xywh: np.ndarray | None = None,
    name: str = "",
) -> SequenceScore:
    """Score one sequence's result boxes (first line = initial box) against its ground truth.

    Raises ValueError when there are fewer result boxes than ground-truth rows or the two ground
    truths differ in length.
    """
    ground_truths = [np.asarray(gt_rgb_xywh, dtype=np.float64).reshape(-1, 4)]
    if protocol.both_ground_truths and gt_tir_xywh is not None:
        ground_truths.append(np.asarray(gt_tir_xywh, dtype=np.float64).reshape(-1, 4))
    n_frames = len(ground_truths[0])
    if any(len(gt) != n_frames for gt in ground_truths):
        raise ValueError(f"visible ({n_frames}) and thermal ({len(ground_truths[-1])}) ground truth differ in length")
    if n_frames == 0:
        raise ValueError("empty ground truth")
    if protocol.round_ground_truth:
        ground_truths = [round_boxes_like_toolkit(gt) for gt in ground_truths]
    boxes = prepare_result_boxes(protocol, result_boxes_xywh, ground_truths[0][0], n_frames)

    errors = np.full(n_frames, np.nan)
    normalized = np.full(n_frames, np.nan) if protocol.has_normalized_precision else None
    ious = np.full(n_frames, np.nan)
    has_ground_truth = np.zeros(n_frames, dtype=bool)
    for gt in ground_truths:
        absent = absent_ground_truth(protocol, gt)
        has_ground_truth |= ~absent
        errors = np.fmin(errors, np.where(absent, np.nan, center_errors_px(boxes, gt)))
        ious = np.fmax(ious, np.where(absent, np.nan, overlaps(boxes, gt)))
        if normalized is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                normalized = np.fmin(normalized, np.where(absent, np.nan, normalized_center_errors(boxes, gt)))

    return _from_frames(protocol, name, errors, normalized, ious, has_ground_truth)


def pool_frames(
    protocol: BenchmarkProtocol, selections: SequenceOf[tuple[SequenceScore, np.ndarray]], name: str
) -> SequenceScore:
    """The selected frames of several sequences as one pseudo-sequence (per-frame event scores).

    Args:
        selections: (sequence score, (N,) bool mask of its frames to keep) pairs.
    """
    def gather(values_of) -> np.ndarray:
        return np.concatenate([values_of(score)[mask] for score, mask in selections])

    normalized = None
    if protocol.has_normalized_precision:
        normalized = gather(lambda s: s.normalized_center_errors)
    return _from_frames(
        protocol, name, gather(lambda s: s.center_errors_px), normalized, gather(lambda s: s.overlaps),
        gather(lambda s: s.has_ground_truth),
    )


def _from_frames(
    protocol: BenchmarkProtocol,
    name: str,
    errors: np.ndarray,
    normalized: np.ndarray | None,
    ious: np.ndarray,
    has_ground_truth: np.ndarray,
) -> SequenceScore:
    return SequenceScore(
        name=name,
        center_errors_px=errors,
        normalized_center_errors=normalized,
        overlaps=ious,
        has_ground_truth=has_ground_truth,
        precision_curve=_precision_curve(protocol, errors, protocol.precision_thresholds_px, has_ground_truth),
        normalized_precision_curve=None if normalized is None else _precision_curve(
            protocol, normalized, protocol.normalized_precision_thresholds, has_ground_truth
        ),
        success_curve=_success_curve(ious, protocol.success_thresholds),
    )


def _precision_curve(
    protocol: BenchmarkProtocol, errors: np.ndarray, thresholds: np.ndarray, has_ground_truth: np.ndarray
) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if protocol.precision_strictly_below:
            hits = errors[:, None] < thresholds[None, :]
        else:
            hits = errors[:, None] <= thresholds[None, :]
    if protocol.absent_counts_as_precision_hit:
        hits[~has_ground_truth] = True
    return hits.mean(axis=0) if len(errors) else np.zeros(len(thresholds))


def _success_curve(ious: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    if not len(ious):
        return np.zeros(len(thresholds))
    with np.errstate(invalid="ignore"):
        return (ious[:, None] > thresholds[None, :]).mean(axis=0)


def score_benchmark(protocol: BenchmarkProtocol, scores: SequenceOf[SequenceScore]) -> BenchmarkScore:
    """Average sequence curves the protocol's way and read PR, NPR and SR off them."""
    if not scores:
        raise ValueError("no sequences to score")
    frames = np.array([score.n_frames for score in scores], dtype=np.float64)
    weights = frames / frames.sum() if protocol.frame_weighted else np.full(len(scores), 1.0 / len(scores))

    def average(curves: list[np.ndarray]) -> np.ndarray:
        return np.tensordot(weights, np.stack(curves), axes=1)

    precision = average([s.precision_curve for s in scores])
    success = average([s.success_curve for s in scores])
    normalized = None
    npr = None
    if protocol.has_normalized_precision:
        normalized = average([s.normalized_precision_curve for s in scores])
        npr = float(normalized[_index_of(protocol.normalized_precision_thresholds, protocol.normalized_precision_at)])
    if protocol.success_summary == "trapezoid":
        sr = float(np.trapezoid(success, protocol.success_thresholds))
    else:
        sr = float(success.mean())
    return BenchmarkScore(
        protocol=protocol,
        sequence_names=tuple(s.name for s in scores),
        n_frames=int(frames.sum()),
        pr=float(precision[_index_of(protocol.precision_thresholds_px, protocol.precision_at_px)]),
        npr=npr,
        sr=sr,
        precision_curve=precision,
        normalized_precision_curve=normalized,
        success_curve=success,
    )


def _index_of(thresholds: np.ndarray, value: float) -> int:
    return int(np.argmin(np.abs(thresholds - value)))

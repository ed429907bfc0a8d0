"""Evaluate a folder of result files against a dataset root: the work behind `tpmri eval`.

Reads only annotation files (no images), matches result files to sequences, scores every sequence
with the dataset's protocol and adds per-attribute scores where the root ships attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tpmri_core.data.attributes import LASHER_ATTRIBUTE_ORDER
from tpmri_core.data.sequences import list_sequences, load_sequence
from tpmri_core.errors import UserError
from tpmri_core.evaluation.attribute_tables import AttributeScore, attribute_scores, frame_attribute_scores
from tpmri_core.evaluation.protocols import EVALUATED_DATASETS, protocol_for
from tpmri_core.evaluation.result_files import find_result_files, read_result_boxes_xywh
from tpmri_core.evaluation.scores import BenchmarkScore, SequenceScore, score_benchmark, score_sequence

DEFAULT_SPLITS: dict[str, str | None] = {"lasher": "test"}


@dataclass(frozen=True)
class DatasetEvaluation:
    """Everything `tpmri eval` reports.

    Args:
        dataset: dataset name.
        score: the benchmark score over all evaluated sequences.
        sequence_scores: per-sequence errors and curves, in list order.
        attribute_scores: one row per attribute the dataset root declares (empty without attributes).
        frame_attribute_scores: one row per per-frame attribute (the events of synthetic sequences),
            over the flagged frames of all sequences.
        skipped: sequences left out because their result file is missing (only with skip_missing).
        result_prefix: file name prefix of the result files ('' for `<sequence>.txt`).
    """

    dataset: str
    score: BenchmarkScore
    sequence_scores: tuple[SequenceScore, ...]
    attribute_scores: tuple[AttributeScore, ...]
    frame_attribute_scores: tuple[AttributeScore, ...]
    skipped: tuple[str, ...]
    result_prefix: str


def evaluate_results(
    dataset: str,
    root: Path,
    results_dir: Path,
    split: str | None = None,
    skip_missing: bool = False,
    result_prefix: str | None = None,
) -> DatasetEvaluation:
    """Score every sequence of a dataset root that has a result file in `results_dir`.

    Args:
        dataset: 'lasher' | 'rgbt234' | 'rgbt210' | 'gtot'.
        root: dataset root (LasHeR: the folder with testingset/, or the split folder itself).
        results_dir: folder of `<prefix><sequence>.txt` files.
        split: LasHeR split; default 'test', the benchmark split.
        skip_missing: leave out sequences without a result file instead of failing.
        result_prefix: file name prefix; None infers it.
    """
    if dataset not in EVALUATED_DATASETS:
        raise UserError(f"cannot evaluate dataset {dataset!r}; choose one of {', '.join(EVALUATED_DATASETS)}")
    protocol = protocol_for(dataset)
    if split is None:
        split = DEFAULT_SPLITS.get(dataset)
    names = list_sequences(dataset, Path(root), split=split)
    results = find_result_files(Path(results_dir), names, prefix=result_prefix)
    if results.missing and not skip_missing:
        shown = ", ".join(results.missing[:5]) + (" ..." if len(results.missing) > 5 else "")
        raise UserError(
            f"{results_dir}: no result file for {len(results.missing)} of {len(names)} sequences "
            f"(expected {results.prefix}<sequence>.txt): {shown}; pass --skip-missing to leave them out"
        )
    if not results.paths:
        raise UserError(f"{results_dir}: no result file matches any {dataset} sequence of {root}")

    scores = []
    attributes = {}
    frame_attributes = {}
    for name in names:
        path = results.paths.get(name)
        if path is None:
            continue
        sequence = load_sequence(dataset, Path(root), name, need_images=False)
        if sequence.gt_rgb_xywh is None:
            raise UserError(f"{sequence.root}: no ground truth to evaluate against")
        boxes = read_result_boxes_xywh(path)
        try:
            scores.append(score_sequence(protocol, boxes, sequence.gt_rgb_xywh, sequence.gt_tir_xywh, name=name))
        except ValueError as error:
            raise UserError(f"{path}: {error} of {sequence.root}") from None
        attributes[name] = sequence.attributes
        frame_attributes[name] = sequence.frame_attributes
    order = LASHER_ATTRIBUTE_ORDER if dataset == "lasher" else None
    return DatasetEvaluation(
        dataset=dataset,
        score=score_benchmark(protocol, scores),
        sequence_scores=tuple(scores),
        attribute_scores=attribute_scores(protocol, scores, attributes, attribute_order=order),
        frame_attribute_scores=frame_attribute_scores(protocol, scores, frame_attributes),
        skipped=results.missing,
        result_prefix=results.prefix,
    )

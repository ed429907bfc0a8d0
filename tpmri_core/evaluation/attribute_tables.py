"""Scores per challenge attribute: the benchmark score restricted to the sequences (or frames) that carry it."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence as SequenceOf
import dataclasses
from dataclasses import dataclass

import numpy as np

from tpmri_core.evaluation.protocols import BenchmarkProtocol
from tpmri_core.evaluation.scores import BenchmarkScore, SequenceScore, pool_frames, score_benchmark


@dataclass(frozen=True)
class AttributeScore:
    """The score over the sequences with one attribute (e.g. 'TC', thermal crossover)."""

    attribute: str
    score: BenchmarkScore


def attribute_scores(
    protocol: BenchmarkProtocol,
    scores: SequenceOf[SequenceScore],
    attributes: Mapping[str, frozenset[str]],
    attribute_order: SequenceOf[str] | None = None,
) -> tuple[AttributeScore, ...]:
    """One row per attribute that at least one scored sequence has.

    Args:
        attributes: sequence name -> its attributes; sequences missing here have none.
        attribute_order: row order (e.g. the dataset's own); default alphabetical.
    """
    present = sorted({attr for score in scores for attr in attributes.get(score.name, ())})
    if attribute_order is not None:
        ordered = [attr for attr in attribute_order if attr in present]
        present = ordered + [attr for attr in present if attr not in ordered]
    rows = []
    for attr in present:
        subset = [score for score in scores if attr in attributes.get(score.name, ())]
        rows.append(AttributeScore(attribute=attr, score=score_benchmark(protocol, subset)))
    return tuple(rows)


def frame_attribute_scores(
    protocol: BenchmarkProtocol,
    scores: SequenceOf[SequenceScore],
    frame_attributes: Mapping[str, Mapping[str, np.ndarray]],
) -> tuple[AttributeScore, ...]:
    """One row per per-frame attribute (e.g. a synthetic 'darkness' event): the frames that carry it,
    pooled over all sequences, each frame weighing equally.

    Args:
        frame_attributes: sequence name -> attribute -> (N,) bool flags of its frames.
    """
    names = sorted({attr for score in scores for attr in frame_attributes.get(score.name, {})})
    rows = []
    for attr in names:
        selections = [
            (score, np.asarray(frame_attributes[score.name][attr], dtype=bool))
            for score in scores
            if attr in frame_attributes.get(score.name, {})
        ]
        selections = [(score, mask) for score, mask in selections if mask.any()]
        if not selections:
            continue
        pooled = pool_frames(protocol, selections, name=attr)
        score = score_benchmark(protocol, [pooled])
        rows.append(AttributeScore(attribute=attr, score=_named(score, [s.name for s, _ in selections])))
    return tuple(rows)


def _named(score: BenchmarkScore, sequence_names: list[str]) -> BenchmarkScore:
    """The pooled score, listing the sequences the frames came from."""
    return dataclasses.replace(score, sequence_names=tuple(sequence_names))

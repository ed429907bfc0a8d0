"""Scores per challenge attribute: the benchmark score restricted to the sequences that carry it."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence as SequenceOf
from dataclasses import dataclass

from tpmri_core.evaluation.protocols import BenchmarkProtocol
from tpmri_core.evaluation.scores import BenchmarkScore, SequenceScore, score_benchmark


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

"""A table of several trackers over several dataset roots: one row per root, per declared attribute and per
per-frame event, one SR / PR cell per tracker: what the README's accuracy section shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tpmri_core.evaluation.dataset_evaluation import DatasetEvaluation
from tpmri_core.evaluation.scores import BenchmarkScore


@dataclass(frozen=True)
class Cell:
    """One tracker's score on one row: SR and PR as fractions, over how many sequences and frames."""

    sr: float
    pr: float
    sequences: int
    frames: int

    @classmethod
    def of(cls, score: BenchmarkScore) -> "Cell":
        return cls(score.sr, score.pr, len(score.sequence_names), score.n_frames)


@dataclass(frozen=True)
class ComparisonRow:
    """One line of the table: a label, what it counts, and each tracker's cell (None where it has none)."""

    label: str
    count: str
    cells: tuple[Cell | None, ...]


def comparison_rows(
    root: str, by_tracker: Mapping[str, DatasetEvaluation], trackers: list[str], attributes: bool = True
) -> list[ComparisonRow]:
    """Rows for one root: overall, then (with `attributes`) its per-sequence attributes (the sequences that
    have each) and its per-frame events (the frames that have each, pooled over sequences)."""
    def cell(tracker: str, name: str | None, frames: bool) -> Cell | None:
        evaluation = by_tracker.get(tracker)
        if evaluation is None:
            return None
        if name is None:
            return Cell.of(evaluation.score)
        rows = evaluation.frame_attribute_scores if frames else evaluation.attribute_scores
        return next((Cell.of(row.score) for row in rows if row.attribute == name), None)

    present = [by_tracker[t] for t in trackers if t in by_tracker]
    if not present:
        return []
    first = present[0]
    rows = [ComparisonRow(root, f"{len(first.score.sequence_names)} seq", tuple(cell(t, None, False) for t in trackers))]
    if attributes:
        for name in [row.attribute for row in first.attribute_scores]:
            cells = tuple(cell(t, name, False) for t in trackers)
            rows.append(ComparisonRow(f"{root} / {name}", f"{_first(cells).sequences} seq", cells))
        for name in [row.attribute for row in first.frame_attribute_scores]:
            cells = tuple(cell(t, name, True) for t in trackers)
            rows.append(ComparisonRow(f"{root} / {name} (frames)", f"{_first(cells).frames} fr", cells))
    return rows


def _first(cells: tuple[Cell | None, ...]) -> Cell:
    return next(c for c in cells if c is not None)


def mean_row(label: str, rows: list[ComparisonRow]) -> ComparisonRow:
    """The unweighted mean of SR and PR over `rows` (e.g. the generated scenarios), per tracker."""
    means: list[Cell | None] = []
    for column in range(len(rows[0].cells)):
        cells = [row.cells[column] for row in rows]
        if any(c is None for c in cells):
            means.append(None)
            continue
        known = [c for c in cells if c is not None]
        means.append(
            Cell(
                sum(c.sr for c in known) / len(known),
                sum(c.pr for c in known) / len(known),
                sum(c.sequences for c in known),
                sum(c.frames for c in known),
            )
        )
    return ComparisonRow(label, f"{sum(_first(r.cells).sequences for r in rows)} seq", tuple(means))


def markdown_table(rows: list[ComparisonRow], trackers: list[str]) -> str:
    """`| set | size | <tracker> ... |` with `SR / PR` in percent per cell, each row's best SR in bold."""
    lines = ["| set | size | " + " | ".join(trackers) + " |", "| --- | --- | " + " | ".join("---" for _ in trackers) + " |"]
    for row in rows:
        best = max((c.sr for c in row.cells if c is not None), default=None)
        texts = []
        for c in row.cells:
            if c is None:
                texts.append("")
                continue
            text = f"{100 * c.sr:.1f} / {100 * c.pr:.1f}"
            texts.append(f"**{text}**" if c.sr == best else text)
        lines.append(f"| {row.label} | {row.count} | " + " | ".join(texts) + " |")
    return "\n".join(lines)

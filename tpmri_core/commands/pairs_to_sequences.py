"""`tpmri pairs-to-sequences`: tracking sequences from a user's own registered RGB-thermal photographs."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tpmri_core.commands.synth import _whole_number
from tpmri_core.errors import UserError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from tpmri_core.data.real_pairs.sequence import MOTIONS, SEQUENCE_KINDS

    parser = subparsers.add_parser(
        "pairs-to-sequences",
        help="make tracking sequences from registered visible + thermal photographs",
        description="Find warm targets (people, vehicles) in the thermal band of each <id>_visible.* / "
        "<id>_infrared.* pair in PAIRS_DIR, and write sequences to OUT in the RGBT234 layout: a virtual "
        "camera pans, zooms and shakes over the pair (or the target, cut out with its thermal mask, moves "
        "over the inpainted scene) while darkness, glare, thermal contrast collapse, an occluder or a "
        "look-alike happen. Writes events.csv and meta.json per sequence and attr_txt/ per root, so "
        "`tpmri benchmark --dataset rgbt234` scores per kind and per source. Check the targets by eye "
        "first: --candidates-sheet, then --targets.",
    )
    parser.add_argument("folders", nargs="+", type=Path, metavar="PAIRS_DIR", help="folders of pairs (the last path is OUT)")
    parser.add_argument("--sequences-per-pair", default="1", metavar="N", help="sequences from each pair (default 1)")
    parser.add_argument("--frames", default="100", metavar="M", help="frames per sequence (default 100)")
    parser.add_argument("--seed", default="0", metavar="S", help="base seed (default 0)")
    parser.add_argument("--width", default="320", metavar="W", help="frame width (default 320)")
    parser.add_argument("--height", default="240", metavar="H", help="frame height (default 240)")
    parser.add_argument(
        "--kinds", default=",".join(SEQUENCE_KINDS), metavar="K,...",
        help=f"kinds to make, in turn (default all: {','.join(SEQUENCE_KINDS)})",
    )
    parser.add_argument(
        "--motions", default=",".join(MOTIONS), metavar="M,...", help="camera, target or both in turn (default both)"
    )
    parser.add_argument("--pairs-per-source", metavar="N", help="use N pairs of each folder, drawn with the seed")
    parser.add_argument(
        "--targets", type=Path, metavar="FILE",
        help="use only the pairs listed, one '<pair id>,<candidate number>' line each (numbers as on the sheet)",
    )
    parser.add_argument("--black-hot", action="store_true", help="the thermal images show hot as dark")
    parser.add_argument(
        "--candidates-sheet", action="store_true",
        help="write OUT as a PNG of every pair's numbered target candidates (0, green, is the default) and stop",
    )
    parser.set_defaults(run=run)
    return parser


def _names(flag: str, text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in allowed]
    if not names or unknown:
        raise UserError(f"{flag} {text!r}: choose from {', '.join(allowed)}")
    return names


def run(args: argparse.Namespace) -> int:
    import cv2

    from tpmri_core.data.real_pairs.build import (
        build_root, candidates_sheet, discover_sources, plan_sequences, read_target_choices,
    )
    from tpmri_core.data.real_pairs.sequence import MOTIONS, SEQUENCE_KINDS

    if len(args.folders) < 2:
        raise UserError("give one or more PAIRS_DIR folders and then OUT")
    *folders, out = args.folders
    sources = discover_sources(folders)
    if args.candidates_sheet:
        if out.suffix.lower() != ".png":
            raise UserError(f"with --candidates-sheet, OUT is a .png file, got {out}")
        out.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(out), candidates_sheet(sources, black_hot=args.black_hot)):
            raise UserError(f"cannot write {out}")
        print(f"wrote {out} ({sum(len(p) for _, p in sources)} pairs)")
        return 0
    if out.exists() and not out.is_dir():
        raise UserError(f"OUT {out} exists and is not a folder")
    per_pair = _whole_number("--sequences-per-pair", args.sequences_per_pair, 1, 1000)
    frames = _whole_number("--frames", args.frames, 2, 100_000)
    seed = _whole_number("--seed", args.seed, 0, 2**32 - 1)
    width = _whole_number("--width", args.width, 64, 4096)
    height = _whole_number("--height", args.height, 64, 4096)
    pairs_per_source = None if args.pairs_per_source is None else _whole_number("--pairs-per-source", args.pairs_per_source, 1, 1_000_000)
    choices = read_target_choices(args.targets) if args.targets is not None else None
    if choices is not None:
        known = {pair.pair_id for _, pairs in sources for pair in pairs}
        unknown = sorted(set(choices) - known)
        if unknown:
            raise UserError(f"{args.targets}: pair {unknown[0]!r} is in none of the PAIRS_DIR folders")
    plans = plan_sequences(
        sources, per_pair, seed,
        kinds=_names("--kinds", args.kinds, SEQUENCE_KINDS),
        motions=_names("--motions", args.motions, MOTIONS),
        target_choices=choices,
        pairs_per_source=pairs_per_source,
    )
    start = time.perf_counter()
    build_root(
        plans, out, frames, (width, height), black_hot=args.black_hot,
        on_written=lambda plan, folder: print(f"wrote {folder} ({plan.kind}, {plan.motion} motion)", flush=True),
    )
    print(f"{len(plans)} sequences in {out} ({time.perf_counter() - start:.1f} s)")
    return 0

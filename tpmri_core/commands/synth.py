"""`tpmri synth`: write synthetic RGB-T sequences in the RGBT234 layout."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from tpmri_core.errors import UserError

_MAX_SIZE = 4096


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "synth",
        help="generate synthetic RGB-T sequences (RGBT234 layout)",
        description="Write N generated sequences to OUT/<name>/ in the RGBT234 layout (visible/, infrared/, "
        "visible.txt, infrared.txt, init.txt) plus events.csv and meta.json. Sequence k uses a seed derived "
        "from --seed and k, so the same command always writes the same data.",
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="folder to write the sequences into")
    # Numbers are parsed here rather than by argparse so that a bad value is one line and exit code 2.
    parser.add_argument("--sequences", default="1", metavar="N", help="number of sequences (default 1)")
    parser.add_argument("--frames", default="100", metavar="M", help="frames per sequence (default 100)")
    parser.add_argument("--seed", default="0", metavar="S", help="base seed (default 0)")
    parser.add_argument(
        "--scenario",
        metavar="NAME",
        help="force one event over each sequence: darkness, overexposure, "
        "crossover, occlusion, distractor, or clean (none); default: a random mix",
    )
    parser.add_argument("--width", default="480", metavar="W", help="frame width in pixels (default 480)")
    parser.add_argument("--height", default="360", metavar="H", help="frame height in pixels (default 360)")
    parser.add_argument(
        "--save-tir-raw", action="store_true", help="also write 16-bit centi-kelvin PNGs to infrared_raw/"
    )
    parser.set_defaults(run=run)
    return parser


def _whole_number(flag: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"{flag} {text!r} is not a whole number") from None
    if not low <= value <= high:
        raise UserError(f"{flag} {value} must be between {low} and {high}")
    return value


def sequence_seed(base_seed: int, index: int) -> int:
    """The seed of sequence `index` of a run with `base_seed`: well mixed, so nearby runs do not share scenes."""
    return int(np.random.SeedSequence([base_seed, index]).generate_state(1, dtype=np.uint32)[0])


def sequence_name(base_seed: int, index: int, scenario: str | None) -> str:
    return f"synth_s{base_seed}_{index:04d}_{scenario or 'mixed'}"


def run(args: argparse.Namespace) -> int:
    from tpmri_core.data.synth import SCENARIOS, SynthConfig, generate_sequence, write_sequence

    num_sequences = _whole_number("--sequences", args.sequences, 1, 1_000_000)
    num_frames = _whole_number("--frames", args.frames, 1, 1_000_000)
    base_seed = _whole_number("--seed", args.seed, 0, 2**32 - 1)
    width = _whole_number("--width", args.width, 64, _MAX_SIZE)
    height = _whole_number("--height", args.height, 64, _MAX_SIZE)
    if args.scenario is not None and args.scenario not in SCENARIOS:
        raise UserError(f"--scenario {args.scenario!r} is not one of {', '.join(SCENARIOS)}")
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"OUT {args.out} exists and is not a folder")
    try:
        config = SynthConfig(width=width, height=height, scenario=args.scenario)
    except ValueError as error:
        raise UserError(str(error)) from None
    for index in range(num_sequences):
        seed = sequence_seed(base_seed, index)
        folder = args.out / sequence_name(base_seed, index, args.scenario)
        start = time.perf_counter()
        try:
            written = write_sequence(
                generate_sequence(seed, num_frames, config),
                folder,
                seed=seed,
                config=config,
                save_tir_raw=args.save_tir_raw,
            )
        except OSError as error:
            raise UserError(f"cannot write {folder}: {error}") from None
        print(f"wrote {folder} ({written} frames, {time.perf_counter() - start:.1f} s)")
    return 0

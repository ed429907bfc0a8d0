"""The `tpmri` command: research and setup subcommands gathered from the packages that own them.

It lives in the application package because it is the one place allowed to import both
`tpmri_core` and `tpmri_calibration`. Each subcommand module exposes
`add_parser(subparsers) -> argparse.ArgumentParser` and sets `run=callable(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tpmri_core.errors import run_command

# Imported lazily so that `tpmri --help` does not pay for torch.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "tpmri_core.commands.profile",
    "tpmri_core.commands.bench",
    "tpmri_core.commands.train",
    "tpmri_core.commands.eval",
    "tpmri_core.commands.track",
    "tpmri_core.commands.benchmark",
    "tpmri_core.commands.synth",
    "tpmri_core.commands.vot_workspace",
    "tpmri_core.commands.vot_server",
    "tpmri_core.commands.export",
    "tpmri_core.commands.pairs_to_sequences",
    "tpmri_core.commands.compare",
    "tpmri_core.commands.stem_transfer",
    "tpmri_calibration.command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tpmri", description="TPMRI RGB-T tracker: profiling, benchmarks, data, training and evaluation."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(f"tpmri {args.command}", lambda: args.run(args))


if __name__ == "__main__":
    sys.exit(main())

"""`tpmri profile VARIANT`: parameters and FLOPs of the whole model and of its TPI modules."""

from __future__ import annotations

import argparse
import json

from tpmri_core.models.variants import build_model
from tpmri_core.profiling import profile_model
from tpmri_core.weights import check_variant


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "profile",
        help="count parameters and FLOPs (multiply-adds) of a variant",
        description="Parameters and FLOPs (one multiply-add = one FLOP, as thop and fvcore count) of a variant "
        "at its own template/search sizes, for the whole model and for the TPI modules alone.",
    )
    parser.add_argument("variant", help="model variant, e.g. tpmri-base")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    profile = profile_model(build_model(check_variant(args.variant)), args.variant)
    if args.json:
        print(json.dumps(profile.as_json()))
    else:
        print(f"{profile.variant}: {profile.params_m:.2f} M parameters, {profile.gflops:.2f} GFLOPs")
        print(
            f"  TPI modules: {profile.tpi_params_m:.4f} M parameters "
            f"({100 * profile.tpi_params_m / profile.params_m:.2f} %), {profile.tpi_gflops:.4f} GFLOPs "
            f"({100 * profile.tpi_gflops / profile.gflops:.2f} %)"
        )
    return 0

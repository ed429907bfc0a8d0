"""The tracker options every command that tracks shares, so that they all default to the same tracker."""

from __future__ import annotations

import argparse

from tpmri_core.inference import BACKEND_NAMES

MIRROR_AVERAGE_DEFAULT = False
"""Whether the commands' tracker averages over the mirrored crops. Off, because it does not earn its cost.

It doubles the network's batch (about 1.7-2x the time of a step) and, with the bundled weights, gains
nothing: on the validation scenes (val2, 36 sequences) 72.5 against 72.6 mean SR with PyTorch
and 72.5 against 73.9 with ONNX Runtime (it loses most in occlusion, 46 against 53), and on another
generator's held-out scenes the plain tracker scored higher (66.3 against 63.7). With it, a 2-core
AVX2-only CPU falls below real time: ONNX Runtime takes 55 ms for the batch of two there (26 ms for
one), so the default tracker would run under 18 FPS. README, "Speed and deployment", has the figures.
"""

MIRROR_AVERAGE_HELP = (
    "also run the left-right mirrored crops and average both views' maps (default: off; about 1.7x slower, "
    "no better on the validation scenes on average; better in crossover, worse in occlusion)"
)

BACKEND_DEFAULT = "auto"
"""'auto': ONNX Runtime on a CPU (when installed), PyTorch on CUDA (see tpmri_core.inference.backend)."""

BACKEND_HELP = (
    "what runs the network: auto (default: onnxruntime on a CPU, torch on CUDA), torch or onnxruntime; "
    "the ONNX graphs are built from the weights on first use and cached in ~/.cache/tpmri"
)


def add_mirror_average_flag(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--mirror-average / --no-mirror-average`, defaulting to MIRROR_AVERAGE_DEFAULT."""
    parser.add_argument(
        "--mirror-average", action=argparse.BooleanOptionalAction, default=MIRROR_AVERAGE_DEFAULT, help=MIRROR_AVERAGE_HELP
    )


def add_backend_flag(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--backend auto|torch|onnxruntime`, defaulting to BACKEND_DEFAULT."""
    parser.add_argument("--backend", choices=BACKEND_NAMES, default=BACKEND_DEFAULT, help=BACKEND_HELP)


def add_tracker_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """All the shared tracker options: mirror averaging and the backend."""
    add_mirror_average_flag(parser)
    add_backend_flag(parser)

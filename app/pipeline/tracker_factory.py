"""Build the tracker the worker runs: the only module of the application that touches torch.

Kept apart from `tpmri_live.pipeline.worker` so the worker and the Qt window import without torch, and tests can
hand the worker a fake tracker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from tpmri_core.commands.tracker_options import MIRROR_AVERAGE_DEFAULT
from tpmri_core.errors import UserError
from tpmri_core.tracking.target_state import ReacquiringTracker
from tpmri_core.tracking.tracker import Tracker, resolve_device
from tpmri_core.weights import resolve_model


@dataclass(frozen=True)
class BuiltTracker:
    """The tracker and how to describe it in the status bar ('tpmri-tiny (tpmri-tiny-synth.safetensors) on cpu').

    The tracker judges its target state and searches again when it loses the target (ReacquiringTracker).
    """

    tracker: ReacquiringTracker
    description: str
    device: str


def default_cpu_threads(cpu_count: int | None = None) -> int:
    """Leave one core to capture and drawing: torch's threads wait for each other at every operation, so one
    of them descheduled by a busy capture thread stalls the whole step (on 2 cores, 2 threads ran 40x slower
    than 1 while videos were decoding)."""
    cores = cpu_count or os.cpu_count() or 1
    return max(1, min(cores - 1, 8))


def build_tracker(
    variant: str | None = None,
    weights: Path | str | None = None,
    device: str = "auto",
    cpu_threads: int | None = None,
    mirror_average: bool = MIRROR_AVERAGE_DEFAULT,
) -> BuiltTracker:
    """Resolve the model (named weights, or the bundled default) and put it on `device`.

    Args:
        cpu_threads: torch's intra-op threads when running on the CPU (process-wide); None: all cores but one.
        mirror_average: see Tracker (the commands' default).

    Raises:
        UserError: an unknown variant, a missing or unreadable weights file, or a device that is not there.
    """
    if cpu_threads is not None and cpu_threads < 1:
        raise UserError(f"--threads must be at least 1, got {cpu_threads}")
    try:
        torch_device = resolve_device(device)
    except ValueError as error:
        raise UserError(str(error)) from None
    if torch_device.type == "cpu":
        torch.set_num_threads(cpu_threads or default_cpu_threads())
    resolved = resolve_model(variant, weights)
    tracker = ReacquiringTracker(Tracker(resolved.model, device=str(torch_device), mirror_average=mirror_average))
    return BuiltTracker(tracker=tracker, description=resolved.describe(), device=str(torch_device))

"""Build the tracker the worker runs: the only module of the application that touches torch.

Kept apart from `tpmri_live.pipeline.worker` so the worker and the Qt window import without torch, and tests can
hand the worker a fake tracker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from tpmri_core.commands.tracker_options import BACKEND_DEFAULT, MIRROR_AVERAGE_DEFAULT
from tpmri_core.errors import UserError
from tpmri_core.inference.threads import live_inference_threads
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


def build_tracker(
    variant: str | None = None,
    weights: Path | str | None = None,
    device: str = "auto",
    cpu_threads: int | None = None,
    mirror_average: bool = MIRROR_AVERAGE_DEFAULT,
    backend: str = BACKEND_DEFAULT,
) -> BuiltTracker:
    """Resolve the model (named weights, or the bundled default) and put it on `device`.

    Args:
        cpu_threads: the model's threads on the CPU (torch's process-wide, and onnxruntime's); None: all cores
            but one (tpmri_core.inference.threads.live_inference_threads).
        mirror_average / backend: see Tracker (the commands' defaults).

    Raises:
        UserError: an unknown variant, a missing or unreadable weights file, or a device that is not there.
    """
    if cpu_threads is not None and cpu_threads < 1:
        raise UserError(f"--threads must be at least 1, got {cpu_threads}")
    try:
        torch_device = resolve_device(device)
    except ValueError as error:
        raise UserError(str(error)) from None
    threads = cpu_threads or live_inference_threads()
    if torch_device.type == "cpu":
        torch.set_num_threads(threads)
    resolved = resolve_model(variant, weights)
    try:
        tracker = ReacquiringTracker(Tracker(resolved.model, device=str(torch_device), mirror_average=mirror_average,
                                             backend=backend, threads=threads if torch_device.type == "cpu" else None))
    except ValueError as error:
        raise UserError(str(error)) from None
    return BuiltTracker(tracker=tracker, description=resolved.describe(), device=str(torch_device))

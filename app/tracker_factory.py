"""Build the tracker the worker runs: the only module of the application that touches torch.

Kept apart from `tpmri_live.worker` so the worker and the Qt window import without torch, and tests can
hand the worker a fake tracker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tpmri_core.errors import UserError
from tpmri_core.tracking.tracker import Tracker, resolve_device
from tpmri_core.weights import resolve_model


@dataclass(frozen=True)
class BuiltTracker:
    """The tracker and how to describe it in the status bar ('tpmri-tiny (tpmri-tiny-synth.safetensors) on cpu')."""

    tracker: Tracker
    description: str
    device: str


def build_tracker(variant: str | None = None, weights: Path | str | None = None, device: str = "auto") -> BuiltTracker:
    """Resolve the model (named weights, or the bundled default) and put it on `device`.

    Raises:
        UserError: an unknown variant, a missing or unreadable weights file, or a device that is not there.
    """
    try:
        torch_device = resolve_device(device)
    except ValueError as error:
        raise UserError(str(error)) from None
    resolved = resolve_model(variant, weights)
    tracker = Tracker(resolved.model, device=str(torch_device))
    return BuiltTracker(tracker=tracker, description=resolved.describe(), device=str(torch_device))

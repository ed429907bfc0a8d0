"""How many CPU threads inference gets."""

from __future__ import annotations

import os

MAX_INFERENCE_THREADS = 8


def usable_cores() -> int:
    """Cores this process may run on (its affinity on Linux, else the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def live_inference_threads(cores: int | None = None) -> int:
    """Threads for the live app's model: all cores but one (at least one, at most 8).

    The spare core is for capture and drawing: a step's threads wait for each other at every operator,
    so one of them descheduled by a busy capture thread stalls the whole step (on 2 cores, 2 threads ran
    40x slower than 1 while videos were decoding). Past 8, a step this small gains nothing from more.
    """
    cores = cores or usable_cores()
    return max(1, min(cores - 1, MAX_INFERENCE_THREADS))

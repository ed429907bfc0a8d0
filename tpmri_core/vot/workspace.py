"""A VOT toolkit workspace written from our sequences, ready for `vot evaluate` with no network.

    OUT/config.yaml          stack: stack.yaml, registry: [./trackers.ini]
    OUT/stack.yaml           the experiments (tpmri_core.vot.stack), unless a toolkit stack is named
    OUT/trackers.ini         the TPMRI entry (tpmri_core.vot.tracker_entry)
    OUT/sequences/list.txt   the sequence names; its presence is what stops the toolkit downloading
    OUT/sequences/NAME/      one folder per sequence (tpmri_core.vot.sequence_writer)
    OUT/results/             where the toolkit writes trajectories

Everything is written under OUT.partial and renamed at the end, so OUT exists only when complete.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tpmri_core.data.sequences import Sequence
from tpmri_core.errors import UserError
from tpmri_core.vot.options import TrackerOptions
from tpmri_core.vot.sequence_writer import DEFAULT_ANCHOR_SPACING, WrittenSequence, write_vot_sequence
from tpmri_core.vot.stack import StackSpec, fitted_eao_range, stack_yaml
from tpmri_core.vot.tracker_entry import DEFAULT_TRACKER_ID, tracker_entry

LOCAL_STACK_FILE = "stack.yaml"


@dataclass(frozen=True)
class WorkspaceSummary:
    """What `write_workspace` wrote: the sequences, and the stack the config names."""

    root: Path
    sequences: tuple[WrittenSequence, ...]
    stack: str
    eao_range: tuple[int, int] | None


def check_output_folder(out: Path) -> None:
    """OUT must be new (or an empty folder): a workspace is never written over another one."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} already exists and is not an empty folder; choose a new workspace folder")
    partial = _partial(out)
    if partial.exists():
        raise UserError(f"{partial} is left from an interrupted run; remove it first")


def _partial(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def _toolkit_stack(name: str) -> str:
    """A stack shipped with the toolkit, named in config.yaml as it is (checked when the toolkit is installed)."""
    try:
        from vot.stack import resolve_stack
    except ImportError:
        return name
    if resolve_stack(name) is None:
        raise UserError(f"--stack {name!r} is neither a stack file nor a stack of the installed VOT toolkit (e.g. vot2020/rgbtir)")
    return name


def write_workspace(
    out: Path,
    sequences: Iterable[Sequence],
    options: TrackerOptions,
    stack: str | None = None,
    realtime: bool = False,
    anchor_spacing: int = DEFAULT_ANCHOR_SPACING,
    eao_range: tuple[int, int] | None = None,
    title: str = "TPMRI RGB-T",
    identifier: str = DEFAULT_TRACKER_ID,
    on_sequence: Callable[[WrittenSequence], None] | None = None,
) -> WorkspaceSummary:
    """Write the workspace OUT.

    Args:
        out: the workspace folder (new, or empty).
        sequences: the sequences to convert, each with images and ground truth.
        options: the tracker options the trackers.ini entry passes to the server.
        stack: None writes our stack (stack.yaml); a .yaml file is copied in as stack.yaml; any other
            value names a stack shipped with the toolkit (e.g. 'vot2020/rgbtir').
        realtime: with our stack, also run the real-time multistart experiment.
        anchor_spacing: frames between multistart anchors.
        eao_range: EAO interval in frames; None fits VOT2020's to the sequences.
        title: the stack's title.
        identifier: the tracker's name in trackers.ini.
        on_sequence: called after each sequence is written (progress).
    """
    out = Path(out)
    check_output_folder(out)
    entry = tracker_entry(options, identifier=identifier)  # a bad identifier fails before any copying
    stack_name = _resolve_stack_choice(stack)
    partial = _partial(out)
    written: list[WrittenSequence] = []
    try:
        (partial / "sequences").mkdir(parents=True)
        (partial / "results").mkdir()
        for sequence in sequences:
            if any(w.name == sequence.name for w in written):
                raise UserError(f"{sequence.root}: a second sequence named {sequence.name!r}")
            result = write_vot_sequence(sequence, partial / "sequences" / sequence.name, anchor_spacing)
            written.append(result)
            if on_sequence is not None:
                on_sequence(result)
        if not written:
            raise UserError("no sequences to write")
        (partial / "sequences" / "list.txt").write_text("".join(f"{w.name}\n" for w in written), encoding="utf-8")
        fitted: tuple[int, int] | None = None
        if stack is None:
            fitted = eao_range or fitted_eao_range([w.length for w in written])
            try:
                spec = StackSpec(title=title, eao_low=fitted[0], eao_high=fitted[1], realtime=realtime)
            except ValueError as error:
                raise UserError(f"--eao-range: {error}") from None
            (partial / LOCAL_STACK_FILE).write_text(stack_yaml(spec), encoding="utf-8")
        elif stack_name == LOCAL_STACK_FILE:
            shutil.copyfile(stack, partial / LOCAL_STACK_FILE)
        (partial / "config.yaml").write_text(
            f"stack: {stack_name}\nregistry:\n- ./trackers.ini\n", encoding="utf-8"
        )
        (partial / "trackers.ini").write_text(entry, encoding="utf-8")
        if out.exists():
            out.rmdir()  # empty, checked above
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return WorkspaceSummary(root=out, sequences=tuple(written), stack=stack_name, eao_range=fitted)


def _resolve_stack_choice(stack: str | None) -> str:
    if stack is None:
        return LOCAL_STACK_FILE
    if stack.lower().endswith((".yaml", ".yml")):
        if not Path(stack).is_file():
            raise UserError(f"--stack {stack}: stack file not found")
        return LOCAL_STACK_FILE
    return _toolkit_stack(stack)

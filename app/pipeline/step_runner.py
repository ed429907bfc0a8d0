"""The tracker on its own thread: one step at a time, never waited on by the display or by an exit.

The inference loop hands the runner a job (initialise, or track a pair) only when it is free, and picks
the answer up when it is done; meanwhile every arriving pair is shown with the newest box. A slow step
(tpmri-base on a CPU takes seconds) therefore holds up nothing: closing the window stops the loop at
once, the results files are closed, and `join` then waits for the step a bounded time. The thread is a
daemon, so a step that never returns cannot keep the process alive either.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

Tag = TypeVar("Tag")


@dataclass(frozen=True)
class StepOutcome(Generic[Tag]):
    """A finished job: the tag it was submitted with, and its return value or the exception it raised."""

    tag: Tag
    value: object = None
    error: BaseException | None = None


class StepRunner(Generic[Tag]):
    """Runs submitted jobs one at a time on a daemon thread.

    Args:
        name: the thread's name (shown in debuggers and thread dumps).
    """

    def __init__(self, name: str = "inference step") -> None:
        self.name = name
        self._condition = threading.Condition()
        self._job: tuple[Tag, Callable[[], object]] | None = None
        self._outcome: StepOutcome[Tag] | None = None
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.steps_done = 0

    @property
    def busy(self) -> bool:
        """A job is queued or running, or its outcome has not been taken yet."""
        with self._condition:
            return self._busy or self._outcome is not None

    def submit(self, tag: Tag, job: Callable[[], object]) -> bool:
        """Start `job` unless the runner is busy (False) or stopped (False)."""
        with self._condition:
            if self._busy or self._outcome is not None or self._stopped:
                return False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._job = (tag, job)
            self._busy = True
            self._condition.notify_all()
            return True

    def take(self, timeout_s: float = 0.0) -> StepOutcome[Tag] | None:
        """The finished job's outcome, once, waiting up to `timeout_s` for a running one; None if none is done."""
        with self._condition:
            if timeout_s > 0:
                self._condition.wait_for(lambda: self._outcome is not None or not self._busy, timeout_s)
            outcome, self._outcome = self._outcome, None
            return outcome

    def stop(self) -> None:
        """Take no more jobs; a running one finishes on its own (returns at once)."""
        with self._condition:
            self._stopped = True
            self._condition.notify_all()

    def join(self, timeout_s: float) -> bool:
        """Stop and wait up to `timeout_s` for a running step; True when the thread has ended."""
        self.stop()
        thread = self._thread
        if thread is None:
            return True
        thread.join(max(0.0, timeout_s))
        return not thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._job is not None or self._stopped)
                if self._job is None:
                    return
                tag, job = self._job
                self._job = None
            try:
                outcome = StepOutcome(tag, value=job())
            except Exception as error:  # reported to the loop, which shows it and carries on
                outcome = StepOutcome(tag, error=error)
            with self._condition:
                self._outcome = outcome
                self._busy = False
                self.steps_done += 1
                self._condition.notify_all()
                if self._stopped:
                    return

"""The Qt boundary of the inference worker: runs its loop in a QThread and hands the newest update over.

Only the newest update is kept (a slot, not a queue): if the window draws slower than the worker
publishes, older updates are replaced, never queued, so the screen cannot fall behind. A status-only
update (no frame) that replaces a frame not yet drawn takes that frame over, so no new frame is lost to a
status tick. One `updateReady` signal is in flight at a time; the window takes the update with `take_update()`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from PySide6.QtCore import QObject, QThread, Signal

from tpmri_live.capture.feeds import PairFeed
from tpmri_live.pipeline.worker import InferenceWorker, WorkerUpdate


class WorkerThread(QThread):
    """Runs `InferenceWorker.run` off the GUI thread.

    Signals:
        updateReady: a new update waits in the slot (emitted once until it is taken).
        runFinished: the worker's loop ended on its own (--max-frames, or a headless replay end).
    """

    updateReady = Signal()
    runFinished = Signal()

    def __init__(self, worker: InferenceWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._lock = threading.Lock()
        self._latest: WorkerUpdate | None = None
        self._finished_by_worker = False
        self.updates_published = 0
        self.updates_replaced = 0
        self.error: BaseException | None = None

    @property
    def feed(self) -> PairFeed:
        return self.worker.feed

    def _publish(self, update: WorkerUpdate) -> None:
        with self._lock:
            waiting = self._latest
            if waiting is not None and update.frame is None and waiting.frame is not None:
                update = replace(update, frame=waiting.frame, tir_camera=waiting.tir_camera, t_ready_s=waiting.t_ready_s)
            self._latest = update
            self.updates_published += 1
            if waiting is not None:
                self.updates_replaced += 1
        if waiting is None:
            self.updateReady.emit()

    def take_update(self) -> WorkerUpdate | None:
        """The newest update, once; None when it was already taken."""
        with self._lock:
            update, self._latest = self._latest, None
        return update

    def run(self) -> None:
        try:
            self.worker.run(self._publish)
        except BaseException as error:  # noqa: BLE001 - surfaced to the window, never silently lost
            self.error = error
            raise
        finally:
            if not self.worker.stopped:
                self._finished_by_worker = True
                self.runFinished.emit()

    def stop(self, timeout_s: float = 1.0) -> bool:
        """End the loop and close the feed (which stops the capture threads); True when all stopped in time."""
        deadline_s = time.monotonic() + timeout_s
        self.worker.stop()
        self.worker.feed.close()
        remaining_ms = max(0, int((deadline_s - time.monotonic()) * 1000))
        return self.wait(remaining_ms) if self.isRunning() else True

"""A one-pair mailbox between producers and the consumer: the newest pair wins, nothing queues up.

Some events must not be lost with the pair that carried them: a chained synthetic scene marks its first
pair 'sequence_start' (the demo re-selects its new target there). When such a pair is replaced before
the consumer took it, the newer pair inherits the event, so the consumer still sees the scene start, on
a pair of the same new scene (whose own true box is then the one to start from).
"""

from __future__ import annotations

import threading
from dataclasses import replace

from tpmri_live.capture.timed_frames import FramePair

STICKY_EVENTS = frozenset({"sequence_start"})


class LatestPairSlot:
    """Holds at most one pair. Publishing over an untaken pair replaces it (counted in `skipped`).

    The producer never waits; the consumer waits (with a timeout) for a pair it has not seen.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._pair: FramePair | None = None
        self._closed = False
        self.published = 0
        self.skipped = 0

    def publish(self, pair: FramePair) -> None:
        with self._condition:
            if self._pair is not None:
                self.skipped += 1
                sticky = self._pair.events & STICKY_EVENTS
                if sticky - pair.events:
                    pair = replace(pair, events=pair.events | sticky)
            self._pair = pair
            self.published += 1
            self._condition.notify_all()

    def take(self, timeout_s: float = 0.0) -> FramePair | None:
        """The newest untaken pair, waiting up to `timeout_s` for one; None on timeout or after close."""
        with self._condition:
            if timeout_s > 0:
                self._condition.wait_for(lambda: self._pair is not None or self._closed, timeout_s)
            pair, self._pair = self._pair, None
            return pair

    def close(self) -> None:
        """Wake waiting consumers (they get None)."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

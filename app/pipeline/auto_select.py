"""Starting to track without a click: a box from the command line, or the source's own ground truth.

The worker asks its `AutoSelect` about every pair; a box it returns (re)starts tracking on that pair.
"""

from __future__ import annotations

from typing import Protocol

from tpmri_live.capture.synthetic import SEQUENCE_START_EVENT
from tpmri_live.capture.timed_frames import RegisteredPair

BoxXYWH = tuple[float, float, float, float]


class AutoSelect(Protocol):
    def __call__(self, pair: RegisteredPair) -> BoxXYWH | None: ...


class InitOnce:
    """`--init x,y,w,h`: the given box on the first pair, then never again."""

    def __init__(self, box_xywh: BoxXYWH) -> None:
        self.box_xywh = box_xywh
        self._done = False

    def __call__(self, pair: RegisteredPair) -> BoxXYWH | None:
        if self._done:
            return None
        self._done = True
        return self.box_xywh


class InitFromTruth:
    """The source's true box on the first pair that has one (the demo's synthetic target, an annotated
    replay), and again whenever a chained synthetic scene starts a new sequence (its target is new)."""

    def __init__(self) -> None:
        self._started = False

    def __call__(self, pair: RegisteredPair) -> BoxXYWH | None:
        truth = pair.raw.box_xywh_rgb_truth
        if truth is None:
            return None
        if not self._started or SEQUENCE_START_EVENT in pair.raw.events:
            self._started = True
            return truth
        return None

"""Is the tracker still on its target? Tracking / uncertain / lost from recent scores, and a wider search when lost.

A tracker always answers with a box, even when the target is hidden or has left the view: its score (the
peak of the centre map) is the only sign. `TargetStateMonitor` turns the scores of the last few frames
into a state with hysteresis; `ReacquiringTracker` wraps a tracker and, while the target is lost, keeps
the last good box, searches a growing region around it and then the whole frame tile by tile at the
template's scale (one crop per frame, so a lost target costs no more than a tracked one), and takes the
target back, without a click, when a candidate scores high twice in a row.

Thresholds (`DEFAULT_THRESHOLDS`) were chosen with the bundled weights (mirror averaging on) on 24
validation sequences, seeds 700-711 fully hidden and leaving the view for 1-2 s (never the held-out
20261125; `python -m tpmri_core.evaluation.reacquisition calibrate --seeds 700-711`). Mean score over 5
frames: on target (IoU >= 0.5) its 5th percentile is 0.52 and median 0.64; with the target hidden, median
0.50. Below 0.5 are 2.8 % of the on-target frames and 48 % of the hidden ones (so a 1-2 s disappearance
is nearly always noticed, and a false alarm costs a frame or two: the search starts where the target is);
'uncertain' below 0.58 (21 % of on-target frames, 85 % of hidden ones). Search candidates: on the target
their unwindowed peak has 5th percentile 0.57 and 85 % reach 0.6; without a target only 3.2 % do, so
re-acquisition asks 0.6 of the candidate and again of the check at the normal scale.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Protocol

import numpy as np

from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.crops import CropTransform
from tpmri_core.tracking.result import TrackResult

BoxXYWH = tuple[float, float, float, float]


class TargetState(str, Enum):
    """What the window shows and results.csv records about the target."""

    TRACKING = "tracking"
    UNCERTAIN = "uncertain"
    LOST = "lost"


@dataclass(frozen=True)
class StateThresholds:
    """When the recent score means tracking, uncertain or lost, and when a search candidate is the target.

    Args:
        window: tracked frames whose scores are averaged (the mean of the last `window`).
        uncertain_below: a mean below this is 'uncertain'.
        lost_below: a mean below this is 'lost' (the search starts).
        reacquire_above: a search candidate's unwindowed peak must reach this, and the check at the normal
            scale around it must too, for the target to count as found again.
    """

    window: int = 5
    uncertain_below: float = 0.58
    lost_below: float = 0.5
    reacquire_above: float = 0.6

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"window must be at least 1, got {self.window}")
        if not 0.0 <= self.lost_below <= self.uncertain_below <= 1.0:
            raise ValueError(f"need 0 <= lost_below <= uncertain_below <= 1, got {self.lost_below}, {self.uncertain_below}")
        if not 0.0 < self.reacquire_above <= 1.0:
            raise ValueError(f"reacquire_above must be in (0, 1], got {self.reacquire_above}")


DEFAULT_THRESHOLDS = StateThresholds()


class TargetStateMonitor:
    """The state from the mean score of the last `thresholds.window` frames. Plain logic, no clock."""

    def __init__(self, thresholds: StateThresholds = DEFAULT_THRESHOLDS) -> None:
        self.thresholds = thresholds
        self._scores: deque[float] = deque(maxlen=thresholds.window)

    def reset(self) -> None:
        self._scores.clear()

    def restart_at(self, score: float) -> None:
        """Forget the history and start again from one score (a re-acquired target)."""
        self._scores.clear()
        self._scores.append(score)

    @property
    def mean_score(self) -> float:
        return float(np.mean(self._scores)) if self._scores else math.nan

    def update(self, score: float) -> TargetState:
        """Add a tracked frame's score (a non-finite step counts as 0) and say what it means."""
        self._scores.append(score if math.isfinite(score) else 0.0)
        mean = self.mean_score
        if mean < self.thresholds.lost_below:
            return TargetState.LOST
        if mean < self.thresholds.uncertain_below:
            return TargetState.UNCERTAIN
        return TargetState.TRACKING


@dataclass(frozen=True)
class SearchRegion:
    """A square search crop in image pixels (centre, side), and whether to favour its centre (Hann window)."""

    center_x: float
    center_y: float
    side_px: float
    hann: bool = False

    def transform(self, output_size: int) -> CropTransform:
        return CropTransform(self.center_x, self.center_y, max(1.0, math.ceil(self.side_px)), output_size)


def scan_tiles(frame_wh: tuple[int, int], side_px: float, overlap: float = 0.25) -> list[tuple[float, float]]:
    """Centres of square tiles of `side_px` that cover the frame with `overlap`, row by row."""
    width, height = frame_wh
    stride = max(1.0, side_px * (1.0 - overlap))

    def centres(extent: int) -> list[float]:
        if side_px >= extent:
            return [extent / 2.0]
        count = int(math.ceil((extent - side_px) / stride)) + 1
        first, last = side_px / 2.0, extent - side_px / 2.0
        return [first + (last - first) * i / max(1, count - 1) for i in range(count)]

    return [(x, y) for y in centres(height) for x in centres(width)]


@dataclass(frozen=True)
class WiderSearch:
    """Where to look on the k-th frame after the target was lost.

    First `growth_steps` crops around the last good box, each `growth` times wider than the one before;
    then, alternately, the widest of those around the last box and the next tile of a scan of the whole
    frame at the template's scale (tiles the size of the normal search crop). The normal crop is the wrapped
    tracker's: `search_factor` times sqrt(w * h) of the box.

    Args:
        growth: how much wider each step's crop is.
        growth_steps: how many growing crops before the scan starts.
    """

    growth: float = 1.25
    growth_steps: int = 2

    def region(self, step: int, last_box_xywh: BoxXYWH, frame_wh: tuple[int, int], search_factor: float) -> SearchRegion:
        x, y, w, h = last_box_xywh
        normal_side = math.sqrt(w * h) * search_factor
        centre_x, centre_y = x + w / 2, y + h / 2
        if step < self.growth_steps:
            return SearchRegion(centre_x, centre_y, normal_side * self.growth ** (step + 1))
        widest = normal_side * self.growth**self.growth_steps
        scan_step = step - self.growth_steps
        if scan_step % 2 == 0:
            return SearchRegion(centre_x, centre_y, widest)
        tiles = scan_tiles(frame_wh, normal_side)
        tile_x, tile_y = tiles[(scan_step // 2) % len(tiles)]
        return SearchRegion(tile_x, tile_y, normal_side)


class SearchableTracker(Protocol):
    """What `ReacquiringTracker` needs of the tracker it wraps (`tpmri_core.tracking.tracker.Tracker`)."""

    search_factor: float  # its normal search crop's side, as a multiple of sqrt(w * h) of the box

    def initialize(self, frame: RGBTFrame, box_xywh: BoxXYWH, framed: bool = True) -> None: ...

    def track(self, frame: RGBTFrame, search: SearchRegion | None = None) -> TrackResult: ...

    def restore_box(self, box_xywh: Sequence[float]) -> None: ...


class ReacquiringTracker:
    """A tracker that says whether it is on target and searches again when it is not (module docstring).

    Its results carry `target_state`; while lost, `box_xywh` is the last good box and `score` the best
    candidate's peak on this frame.

    Args:
        tracker: the tracker to wrap (it must accept a `search` region and `restore_box`).
        thresholds: see StateThresholds.
        search: the wider-search schedule.
    """

    def __init__(
        self,
        tracker: SearchableTracker,
        thresholds: StateThresholds = DEFAULT_THRESHOLDS,
        search: WiderSearch = WiderSearch(),
    ) -> None:
        self.tracker = tracker
        self.thresholds = thresholds
        self.search = search
        self.monitor = TargetStateMonitor(thresholds)
        self.state = TargetState.TRACKING
        self._last_good: BoxXYWH | None = None
        self._lost_steps = 0
        self._candidate: BoxXYWH | None = None
        self.reacquisitions = 0
        self.last_search: tuple[SearchRegion, TrackResult] | None = None  # the latest search step, for analysis

    def __getattr__(self, name: str) -> object:
        # Everything else (box_xywh, state of TMR, model, device) is the wrapped tracker's.
        if name == "tracker":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.tracker, name)

    def initialize(self, frame: RGBTFrame, box_xywh: BoxXYWH, framed: bool = True) -> None:
        self.tracker.initialize(frame, box_xywh, framed=framed)
        self.monitor.reset()
        self.state = TargetState.TRACKING
        box = getattr(self.tracker, "box_xywh", None)
        self._last_good = tuple(float(v) for v in (box if box is not None else box_xywh))  # type: ignore[assignment]
        self._lost_steps = 0
        self._candidate = None

    def track(self, frame: RGBTFrame) -> TrackResult:
        if self.state is not TargetState.LOST:
            result = self.tracker.track(frame)
            self.state = self.monitor.update(result.score if not result.lost else 0.0)
            if self.state is TargetState.LOST:
                self._lose()
                return replace(result, box_xywh=self._last_good_box(result), target_state=TargetState.LOST.value)
            if self.state is TargetState.TRACKING and result.score >= self.thresholds.uncertain_below:
                self._last_good = result.box_xywh  # a box whose own score is good, not only the recent mean
            return replace(result, target_state=self.state.value)
        return self._search(frame)

    def _last_good_box(self, result: TrackResult) -> BoxXYWH:
        return self._last_good if self._last_good is not None else result.box_xywh

    def _lose(self) -> None:
        self._lost_steps = 0
        self._candidate = None
        if self._last_good is not None:
            self.tracker.restore_box(self._last_good)

    def _search(self, frame: RGBTFrame) -> TrackResult:
        assert self._last_good is not None
        if self._candidate is not None:
            # Check the candidate at the normal scale, as tracking would see it.
            x, y, w, h = self._candidate
            region = SearchRegion(x + w / 2, y + h / 2, math.sqrt(w * h) * self.tracker.search_factor, hann=True)
            checking = True
        else:
            region = self.search.region(self._lost_steps, self._last_good, frame.size_wh, self.tracker.search_factor)
            self._lost_steps += 1
            checking = False
        result = self.tracker.track(frame, search=region)
        self.last_search = (region, result)
        found = not result.lost and result.score >= self.thresholds.reacquire_above
        if found and checking:
            self._candidate = None
            self.state = TargetState.UNCERTAIN
            self.monitor.restart_at(result.score)
            self.reacquisitions += 1
            return replace(result, target_state=self.state.value)
        self._candidate = result.box_xywh if found else None
        self.tracker.restore_box(self._last_good)
        return replace(result, box_xywh=self._last_good, target_state=TargetState.LOST.value)

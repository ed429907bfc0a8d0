"""Target state from recent scores, the wider search schedule, and re-acquisition, with a scripted tracker."""

from __future__ import annotations

import numpy as np
import pytest

from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.result import TrackResult
from tpmri_core.tracking.target_state import (
    ReacquiringTracker,
    StateThresholds,
    TargetState,
    TargetStateMonitor,
    WiderSearch,
    scan_tiles,
)

FRAME = RGBTFrame(rgb=np.zeros((240, 320, 3), np.uint8), tir=np.zeros((240, 320), np.uint8))
THRESHOLDS = StateThresholds(window=3, uncertain_below=0.6, lost_below=0.4, reacquire_above=0.7)


def test_the_state_follows_the_mean_of_recent_scores():
    monitor = TargetStateMonitor(THRESHOLDS)
    states = [monitor.update(score) for score in (0.9, 0.8, 0.5, 0.3, 0.1, float("nan"), 0.9, 0.9, 0.9)]
    assert [state.value for state in states] == [
        "tracking", "tracking", "tracking", "uncertain", "lost", "lost", "lost", "tracking", "tracking",
    ]


def test_thresholds_are_checked():
    with pytest.raises(ValueError):
        StateThresholds(uncertain_below=0.3, lost_below=0.5)
    with pytest.raises(ValueError):
        StateThresholds(window=0)


def test_the_search_grows_then_scans_the_whole_frame_at_the_templates_scale():
    search = WiderSearch(growth=1.5, growth_steps=2)
    box = (100.0, 100.0, 20.0, 20.0)  # normal search crop: 4 x 20 = 80 px
    sides = [search.region(step, box, (320, 240), search_factor=4.0).side_px for step in range(2)]
    assert sides == pytest.approx([120.0, 180.0])
    all_tiles = scan_tiles((320, 240), 80.0)
    scan = [search.region(step, box, (320, 240), search_factor=4.0) for step in range(2, 2 + 2 * len(all_tiles))]
    wide = [region for region in scan[0::2]]
    tiles = {(round(r.center_x), round(r.center_y)) for r in scan[1::2]}
    assert all(region.side_px == pytest.approx(180.0) and (region.center_x, region.center_y) == (110.0, 110.0) for region in wide)
    assert all(region.side_px == pytest.approx(80.0) for region in scan[1::2])
    assert tiles == {(round(x), round(y)) for x, y in all_tiles}  # every tile visited, one per other frame
    covered = np.zeros((240, 320), bool)
    for x, y in tiles:
        covered[max(0, y - 40):y + 40, max(0, x - 40):x + 40] = True
    assert covered.all()


class ScriptedTracker:
    """Answers each track call with the next (score, box); records the search regions it was given."""

    def __init__(self, answers, search_factor=4.0):
        self.search_factor = search_factor  # as Tracker's: its normal crop is 4 x sqrt(w * h)
        self.answers = list(answers)
        self.regions = []
        self.restored = []
        self.box_xywh = None

    def initialize(self, frame, box_xywh, framed=True):
        self.box_xywh = tuple(box_xywh)
        self.framed = framed

    def restore_box(self, box_xywh):
        self.restored.append(tuple(box_xywh))
        self.box_xywh = tuple(box_xywh)

    def track(self, frame, search=None):
        self.regions.append(search)
        score, box = self.answers.pop(0)
        self.box_xywh = box
        return TrackResult(box_xywh=box, score=score, alpha_mean=0.5)


def test_a_lost_target_keeps_its_last_good_box_searches_and_is_reacquired_without_a_click():
    good, drifted, found = (100.0, 100.0, 20.0, 20.0), (150.0, 60.0, 20.0, 20.0), (200.0, 150.0, 20.0, 20.0)
    answers = [(0.9, good), (0.3, drifted), (0.2, drifted), (0.1, drifted)]  # hidden: the score collapses
    answers += [(0.3, drifted), (0.8, found), (0.75, found), (0.9, found)]  # searching; a candidate; its check
    inner = ScriptedTracker(answers)
    tracker = ReacquiringTracker(inner, THRESHOLDS, WiderSearch(growth=1.5, growth_steps=2))
    tracker.initialize(FRAME, good, framed=False)
    assert inner.framed is False  # passed through to the tracker it wraps
    results = [tracker.track(FRAME) for _ in answers]
    states = [result.target_state for result in results]
    assert states == ["tracking", "tracking", "uncertain", "lost", "lost", "lost", "uncertain", "tracking"]
    assert [result.box_xywh for result in results[3:6]] == [good, good, good]  # while lost: the last good box
    assert inner.regions[:4] == [None] * 4 and inner.regions[4].side_px == pytest.approx(120.0)  # wider, around it
    check = inner.regions[6]
    assert check.hann and (check.center_x, check.center_y) == (210.0, 160.0)  # the candidate, at the normal scale
    assert results[6].box_xywh == found and tracker.reacquisitions == 1


def test_a_single_high_peak_elsewhere_is_not_taken_for_the_target():
    good, elsewhere = (100.0, 100.0, 20.0, 20.0), (10.0, 10.0, 20.0, 20.0)
    answers = [(0.1, good)] * 3 + [(0.8, elsewhere), (0.3, elsewhere), (0.2, elsewhere)]
    tracker = ReacquiringTracker(ScriptedTracker(answers), THRESHOLDS)
    tracker.initialize(FRAME, good)
    results = [tracker.track(FRAME) for _ in answers]
    assert results[-1].target_state == TargetState.LOST.value and results[-1].box_xywh == good
    assert tracker.reacquisitions == 0


def test_the_wider_search_and_the_check_scale_with_the_wrapped_trackers_own_search_crop():
    good, found = (100.0, 100.0, 20.0, 20.0), (200.0, 150.0, 20.0, 20.0)
    answers = [(0.1, good), (0.8, found), (0.9, found)]  # lost at once; a candidate; its check
    inner = ScriptedTracker(answers, search_factor=3.0)
    tracker = ReacquiringTracker(inner, THRESHOLDS, WiderSearch(growth=1.5, growth_steps=2))
    tracker.initialize(FRAME, good)
    for _ in answers:
        tracker.track(FRAME)
    assert inner.regions[1].side_px == pytest.approx(1.5 * 3.0 * 20.0)  # the first wider crop: 1.5 x its 60 px
    assert inner.regions[2].hann and inner.regions[2].side_px == pytest.approx(60.0)  # the check: its normal crop
    assert tracker.reacquisitions == 1

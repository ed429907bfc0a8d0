"""ReplayFeed: pacing at a speed, skipping overdue pairs, pause, step, seek, loop, close; and the worker driving it."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from live_fakes import FakeTracker, ListPairSource, make_pair
from tpmri_live.pipeline.auto_select import InitFromTruth
from tpmri_live.capture.file_sources import ImageSequenceSource
from tpmri_live.capture.pair_sources import IndexedPairSource
from tpmri_live.pipeline.replay_feed import ReplayFeed, pair_count
from tpmri_live.pipeline.worker import InferenceWorker

FPS = 32.0  # exact binary fractions keep the fake clock's arithmetic exact


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s

    def advance_frames(self, frames: int) -> None:
        self.now_s += frames / FPS


def started(feed: ReplayFeed) -> ReplayFeed:
    feed.start()
    return feed


def indices(feed: ReplayFeed, count: int) -> list[int]:
    out = []
    for _ in range(count):
        pair = feed.wait_latest(0.0)
        out.append(-1 if pair is None else pair.index)
    return out


def test_speed_zero_hands_out_every_pair_then_ends():
    feed = started(ReplayFeed(ListPairSource(count=4), speed=0))
    assert indices(feed, 5) == [0, 1, 2, 3, -1]
    status = feed.status()
    assert status.ended and status.pairs == 4 and status.rgb.state.value == "ended"
    position = feed.position()
    assert position.shown == 3 and position.frame_count == 4 and position.ended


def test_recorded_pace_waits_for_the_next_pair_and_skips_overdue_ones():
    clock = FakeClock()
    feed = started(ReplayFeed(ListPairSource(count=100, fps=FPS), speed=1.0, clock=clock))
    assert indices(feed, 2) == [0, -1]  # pair 1 is not due yet
    clock.advance_frames(1)
    assert indices(feed, 1) == [1]
    clock.advance_frames(10)  # inference fell behind: pairs 2..10 are overdue
    assert indices(feed, 1) == [11]
    assert feed.status().skipped == 9


def test_speed_scales_the_pace():
    clock = FakeClock()
    feed = started(ReplayFeed(ListPairSource(count=100, fps=FPS), speed=2.0, clock=clock))
    assert indices(feed, 1) == [0]
    clock.advance_frames(5)
    assert indices(feed, 1) == [10]
    feed.set_speed(0.5)
    clock.advance_frames(4)
    assert indices(feed, 1) == [12]


def test_paused_replay_hands_out_nothing_but_steps_one_pair_at_a_time():
    clock = FakeClock()
    feed = started(ReplayFeed(ListPairSource(count=10, fps=FPS), speed=1.0, clock=clock))
    assert indices(feed, 1) == [0]
    feed.set_playing(False)
    clock.advance_frames(5)
    assert indices(feed, 2) == [-1, -1]
    assert feed.step().index == 1 and feed.step().index == 2
    assert feed.position().shown == 2 and not feed.position().playing
    feed.set_playing(True)  # resumes at the recorded pace after the pair on screen: no jump over the pause
    assert indices(feed, 1) == [-1]
    clock.advance_frames(1)
    assert indices(feed, 1) == [3]


@pytest.mark.parametrize("seekable", [True, False])
def test_seek_makes_that_pair_next_in_both_directions(seekable):
    source = ListPairSource(count=40, seekable=seekable)
    feed = started(ReplayFeed(source, speed=0))
    assert indices(feed, 3) == [0, 1, 2]
    feed.seek(30)
    assert indices(feed, 1) == [30]
    feed.seek(5)
    assert indices(feed, 2) == [5, 6]
    feed.seek(1000)  # clamped to the last pair
    assert indices(feed, 2) == [39, -1]
    assert source.opens == (1 if seekable else 2)  # only the backward seek reopens


def test_seek_after_the_end_plays_again():
    feed = started(ReplayFeed(ListPairSource(count=3), speed=0))
    assert indices(feed, 4) == [0, 1, 2, -1]
    feed.seek(0)
    assert not feed.position().ended
    assert indices(feed, 1) == [0]


def test_loop_starts_over_at_the_end():
    feed = started(ReplayFeed(ListPairSource(count=3), speed=0, loop=True))
    assert indices(feed, 7) == [0, 1, 2, 0, 1, 2, 0]


def test_close_from_another_thread_wakes_a_waiting_reader_and_closes_the_source():
    source = ListPairSource(count=3)
    feed = started(ReplayFeed(source, speed=1.0))
    feed.set_playing(False)
    closer = threading.Timer(0.05, feed.close)
    closer.start()
    start_s = time.monotonic()
    assert feed.wait_latest(5.0) is None
    assert time.monotonic() - start_s < 1.0
    closer.join(1.0)
    assert source.closed and feed.status().rgb.state.value == "closed"


def test_invalid_speeds_are_refused():
    with pytest.raises(ValueError, match="speed"):
        ReplayFeed(ListPairSource(), speed=-1)
    feed = started(ReplayFeed(ListPairSource(), speed=1))
    with pytest.raises(ValueError, match="speed"):
        feed.set_speed(float("nan"))


def test_replayed_pairs_are_stamped_on_the_monotonic_clock_when_handed_out():
    feed = started(ReplayFeed(ListPairSource(count=2), speed=0))
    before_s = time.monotonic()
    pair = feed.wait_latest(0.0)
    assert before_s <= pair.raw.t_s <= time.monotonic()


def test_pair_count_of_image_folders(tmp_path):
    for modality, count in (("rgb", 5), ("tir", 4)):
        folder = tmp_path / modality
        folder.mkdir()
        for index in range(count):
            pair = make_pair(index)
            image = pair.rgb.image[:, :, ::-1] if modality == "rgb" else pair.tir.image
            cv2.imwrite(str(folder / f"{index:04d}.png"), image)
    source = IndexedPairSource(ImageSequenceSource.folder(tmp_path / "rgb", "rgb"), ImageSequenceSource.folder(tmp_path / "tir", "tir"))
    assert pair_count(source) == 5  # the longer stream decides: past the shorter one's end it plays alone
    feed = started(ReplayFeed(source, speed=0))
    feed.seek(2)
    pair = feed.wait_latest(0.0)
    assert pair.index == 2 and pair.raw.down == frozenset()
    np.testing.assert_array_equal(pair.frame.rgb, make_pair(2).rgb.image)
    assert feed.position().frame_count == 5
    feed.seek(4)
    last = feed.wait_latest(0.0)
    assert last.index == 4 and last.raw.down == {"tir"}  # the thermal folder has ended
    np.testing.assert_array_equal(last.frame.rgb, make_pair(4).rgb.image)
    assert last.frame.tir.mean() < 40  # a dead sensor's near-black frame, as in training
    status = feed.status()
    assert status.streams_down == {"tir"} and status.tir.state.value == "ended" and status.rgb.state.value != "ended"


def test_worker_pauses_steps_and_seeks_a_replay():
    tracker = FakeTracker()
    feed = started(ReplayFeed(ListPairSource(count=20), speed=0))
    worker = InferenceWorker(feed, tracker, auto_select=InitFromTruth(), poll_s=0.01)
    first = worker.run_once()
    assert first.frame.index == 0 and first.replay.frame_count == 20
    worker.pause()
    assert worker.run_once().paused
    worker.step()
    assert worker.run_once().frame.index == 1
    worker.seek(10)
    seeked = worker.run_once()
    assert seeked.frame.index == 10 and seeked.replay.shown == 10 and seeked.paused
    assert tracker.tracked == [1, 10]  # single steps are tracked before they are shown
    worker.set_speed(0)
    worker.resume()
    assert worker.run_once().frame.index == 11
    for _ in range(20):
        if len(tracker.tracked) >= 3:
            break
        worker.run_once()
    assert tracker.tracked[:3] == [1, 10, 11]  # playing, the newest pair is tracked when the tracker is free

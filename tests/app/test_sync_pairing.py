"""Pairing two fake streams by timestamp: driven by made-up clocks, never by sleeping."""

from __future__ import annotations

import heapq
import tracemalloc

import numpy as np
import pytest

from tpmri_live.capture.latest_slot import LatestPairSlot
from tpmri_live.capture.pairing import FramePairer, merge_streams, timestamp_order
from tpmri_live.capture.timed_frames import FramePair, TimedFrame

TINY_RGB = np.zeros((2, 2, 3), np.uint8)
TINY_TIR = np.zeros((2, 2), np.uint8)


def fake_stream(modality: str, fps: float, count: int, jitter_s: float, delay_s: float, seed: int, missing=()):
    """(arrival time, modality, frame) for a camera at `fps` with capture jitter and delivery delay."""
    rng = np.random.default_rng(seed)
    image = TINY_RGB if modality == "rgb" else TINY_TIR
    events = []
    for index in range(count):
        if index in missing:
            continue
        t_s = index / fps + rng.normal(0.0, jitter_s)
        arrival_s = t_s + delay_s + abs(rng.normal(0.0, jitter_s))
        events.append((arrival_s, modality, TimedFrame(image, t_s, index)))
    return events


def arrivals(*streams):
    """All frames of all streams in the order they reach the pairer."""
    return heapq.merge(*streams, key=lambda event: event[0])


def nearest_skew_s(key_t: float, other_times: np.ndarray) -> float:
    return float(np.min(np.abs(other_times - key_t)))


def test_streams_of_different_rates_with_jitter_pair_within_tolerance_without_growth() -> None:
    # 30 fps RGB and 9 fps thermal (a Lepton), 2 ms timestamp jitter, thermal delivered 40 ms later.
    rgb = fake_stream("rgb", 30.0, 7700, 0.002, 0.010, seed=1)
    tir = fake_stream("tir", 9.0, 2310, 0.002, 0.050, seed=2)
    assert len(rgb) + len(tir) >= 10_000
    pairer = FramePairer()
    pair_indices: list[int] = []
    tracemalloc.start()
    memory_at_1000 = 0
    for count, (_, modality, frame) in enumerate(arrivals(rgb, tir)):
        for pair in pairer.push(modality, frame):  # a consumer that keeps nothing but the pair numbers
            assert pair.skew_s <= pairer.tolerance_s()
            assert pair.rgb.image is TINY_RGB and pair.tir.image is TINY_TIR
            pair_indices.append(pair.index)
        assert pairer.stats.buffered_frames <= 2 * 8 + 1
        if count == 1000:
            memory_at_1000 = tracemalloc.get_traced_memory()[0]
    memory_growth = tracemalloc.get_traced_memory()[0] - memory_at_1000
    tracemalloc.stop()

    stats = pairer.stats
    assert stats.key_stream == "tir"
    assert stats.max_skew_s == pytest.approx(0.75 / 30.0, rel=0.1)
    # Regular streams: every thermal frame finds an RGB frame, apart from the first and last ones.
    assert stats.pairs == len(pair_indices) >= 2310 - 3 and stats.dropped <= 3
    assert pair_indices == list(range(len(pair_indices)))
    # The pair-number list grows by design (about 32 bytes a pair); the pairer itself must not.
    assert memory_growth < 100_000 + 40 * len(pair_indices)


def test_frames_missing_from_the_fast_stream_drop_pairs_and_are_counted() -> None:
    # RGB stalls for 0.5 s twice: the thermal frames of those moments have no partner near enough.
    missing = set(range(300, 315)) | set(range(900, 915))
    rgb = fake_stream("rgb", 30.0, 1500, 0.001, 0.005, seed=3, missing=missing)
    tir = fake_stream("tir", 10.0, 500, 0.001, 0.030, seed=4)
    max_skew_s = 0.02
    pairer = FramePairer(max_skew_s=max_skew_s)
    pairs = [pair for _, modality, frame in arrivals(rgb, tir) for pair in pairer.push(modality, frame)]
    pairs += pairer.flush()

    rgb_times = np.array([frame.t_s for _, _, frame in rgb])
    expected_drops = sum(nearest_skew_s(frame.t_s, rgb_times) > max_skew_s for _, _, frame in tir)
    assert expected_drops >= 8
    assert pairer.stats.dropped_skew == expected_drops
    assert pairer.stats.pairs == len(pairs) == 500 - expected_drops
    assert max(pair.skew_s for pair in pairs) <= max_skew_s
    # Each pair took the nearest RGB frame there was.
    for pair in pairs:
        assert pair.skew_s == pytest.approx(nearest_skew_s(pair.tir.t_s, rgb_times))


def test_key_is_the_slower_stream_whichever_it_is() -> None:
    rgb = fake_stream("rgb", 15.0, 300, 0.001, 0.0, seed=5)
    tir = fake_stream("tir", 60.0, 1200, 0.001, 0.0, seed=6)
    pairer = FramePairer()
    pairs = [pair for _, modality, frame in arrivals(rgb, tir) for pair in pairer.push(modality, frame)]
    assert pairer.key_stream == "rgb"
    # Once the rates are measured (a few frames), each slow frame is in exactly one pair.
    settled = [pair for pair in pairs if pair.rgb.t_s > 0.5]
    assert len({pair.rgb.index for pair in settled}) == len(settled) >= 290
    assert max(pair.skew_s for pair in settled) <= 0.75 / 60.0
    assert pairer.stats.dropped <= 5  # only while the first intervals are measured


def test_silent_stream_drops_as_unmatched() -> None:
    pairer = FramePairer(key_stream="tir")
    for index in range(5):
        assert pairer.push_tir(TimedFrame(TINY_TIR, index / 9.0, index)) == []
    assert pairer.stats.dropped_unmatched == 4  # the fifth is still waiting
    assert pairer.flush() == [] and pairer.stats.dropped_unmatched == 5


def test_key_frame_waits_for_a_later_partner_then_takes_the_nearest() -> None:
    pairer = FramePairer(max_skew_s=0.05, key_stream="tir")
    assert pairer.push_rgb(TimedFrame(TINY_RGB, 0.960, 0)) == []
    assert pairer.push_tir(TimedFrame(TINY_TIR, 1.000, 0)) == []  # 40 ms away; a closer one may come
    pairs = pairer.push_rgb(TimedFrame(TINY_RGB, 1.005, 1))
    assert len(pairs) == 1 and pairs[0].rgb.index == 1 and pairs[0].skew_s == pytest.approx(0.005)


def test_recorded_streams_of_equal_rate_pair_frame_by_frame() -> None:
    rgb = [TimedFrame(TINY_RGB, k / 30.0, k) for k in range(100)]
    tir = [TimedFrame(TINY_TIR, k / 30.0, k) for k in range(100)]
    pairs = list(merge_streams(rgb, tir))
    assert [(p.rgb.index, p.tir.index) for p in pairs] == [(k, k) for k in range(100)]
    assert all(p.skew_s == 0.0 for p in pairs)


def test_recorded_streams_of_different_rates_key_on_the_slower() -> None:
    rgb = [TimedFrame(TINY_RGB, k / 30.0, k) for k in range(300)]
    tir = [TimedFrame(TINY_TIR, k / 10.0, k) for k in range(100)]
    pairs = list(merge_streams(rgb, tir))
    assert [(p.rgb.index, p.tir.index) for p in pairs] == [(3 * k, k) for k in range(100)]


def test_timestamp_order_marks_where_each_stream_ended() -> None:
    rgb = [TimedFrame(TINY_RGB, k / 10.0, k) for k in range(2)]
    tir = [TimedFrame(TINY_TIR, k / 5.0, k) for k in range(3)]
    order = [(modality, None if frame is None else frame.t_s) for modality, frame in timestamp_order(rgb, tir)]
    assert order == [("rgb", 0.0), ("tir", 0.0), ("rgb", 0.1), ("rgb", None), ("tir", 0.2), ("tir", 0.4), ("tir", None)]


def test_latest_slot_keeps_only_the_newest_pair() -> None:
    slot = LatestPairSlot()
    frame_rgb, frame_tir = TimedFrame(TINY_RGB, 0.0, 0), TimedFrame(TINY_TIR, 0.0, 0)
    for index in range(1000):
        slot.publish(FramePair(frame_rgb, frame_tir, index))
    taken = slot.take(timeout_s=0.0)
    assert taken is not None and taken.index == 999
    assert slot.skipped == 999 and slot.take(timeout_s=0.0) is None


@pytest.mark.parametrize("kwargs", [{"max_skew_s": 0.0}, {"key_stream": "both"}, {"ring_size": 0}])
def test_bad_pairer_settings_are_refused(kwargs) -> None:
    with pytest.raises(ValueError):
        FramePairer(**kwargs)

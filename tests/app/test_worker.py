"""The inference worker without Qt: newest pair, commands, auto-selection, recording, failures."""

from __future__ import annotations

import csv
import threading

import cv2
import numpy as np
import pytest

from live_fakes import FakeTracker, ManualFeed, make_pair, target_box_at
from tpmri_calibration.calibration_file import Calibration
from tpmri_live.pipeline.auto_select import InitFromTruth, InitOnce
from tpmri_live.capture.registrar import FrameRegistrar
from tpmri_live.capture.synthetic import SEQUENCE_START_EVENT
from tpmri_live.pipeline.worker import InferenceWorker, WorkerUpdate


def run_until(worker: InferenceWorker, condition, max_steps: int = 200) -> list[WorkerUpdate]:
    """Step the loop in this thread until `condition(update)` holds; returns every update."""
    updates = []
    for _ in range(max_steps):
        update = worker.run_once()
        if update is not None:
            updates.append(update)
            if condition(update):
                return updates
    raise AssertionError(f"condition not reached in {max_steps} steps; last: {updates[-1] if updates else None}")


def fresh(update: WorkerUpdate) -> bool:
    return update.t_ready_s is not None


def test_takes_the_newest_pair_and_skips_older_ones():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, auto_select=InitOnce(target_box_at(0)), poll_s=0.01)
    for index in range(5):
        feed.publish(make_pair(index))
    update = run_until(worker, fresh)[-1]
    assert update.frame is not None and update.frame.index == 4
    assert update.feed.skipped == 4
    assert tracker.initialized == [(4, target_box_at(0))]


def test_selection_starts_tracking_on_the_frame_on_screen_then_tracks_each_new_pair():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, poll_s=0.01)
    feed.publish(make_pair(0))
    first = run_until(worker, fresh)[-1]
    assert not first.tracking and first.result is None

    worker.select((30, 40, 20, 20))
    shown = run_until(worker, lambda u: u.tracking)[-1]
    assert tracker.initialized == [(0, (30.0, 40.0, 20.0, 20.0))]
    assert tracker.framed == [True]  # a drawn box: the tracker keeps its framing
    assert shown.box_xywh == (30.0, 40.0, 20.0, 20.0) and shown.result is None
    assert shown.t_ready_s is None  # a redisplay, not a new frame

    for index in (1, 2, 3):
        feed.publish(make_pair(index))
        update = run_until(worker, fresh)[-1]
        assert update.result is not None and update.frame.index == index
    assert tracker.tracked == [1, 2, 3]
    assert update.box_xywh == (33.0, 40.0, 20.0, 20.0)
    assert len(update.history) == 3
    np.testing.assert_allclose(update.history.alpha_mean[-1], update.result.alpha_mean)
    assert update.history.alpha_per_layer.shape == (3, 3)
    assert update.step_ms is not None


def test_frames_cross_as_copies():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, poll_s=0.01)
    pair = make_pair(0)
    feed.publish(pair)
    update = run_until(worker, fresh)[-1]
    before = update.frame.rgb.copy()
    pair.rgb.image[:] = 0  # the capture side reuses its buffer
    np.testing.assert_array_equal(update.frame.rgb, before)
    assert not np.shares_memory(update.frame.rgb, pair.rgb.image)
    assert not np.shares_memory(update.tir_camera, pair.tir.image)


def test_pause_stops_taking_pairs_and_step_processes_exactly_one():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, auto_select=InitOnce(target_box_at(0)), poll_s=0.01, status_interval_s=0.02)
    feed.publish(make_pair(0))
    run_until(worker, fresh)
    worker.pause()
    feed.publish(make_pair(1))
    paused = run_until(worker, lambda u: u.paused)[-1]
    assert paused.frames_done == 1
    for _ in range(5):
        update = worker.run_once()
        assert update is None or update.frame is None
    assert tracker.tracked == []

    worker.step()
    stepped = run_until(worker, fresh)[-1]
    assert stepped.frame.index == 1 and stepped.paused and tracker.tracked == [1]

    worker.resume()
    feed.publish(make_pair(2))
    resumed = run_until(worker, fresh)[-1]
    assert not resumed.paused and tracker.tracked == [1, 2]


def test_step_while_running_pauses_after_one_pair():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, poll_s=0.01)
    worker.step()
    feed.publish(make_pair(0))
    update = run_until(worker, fresh)[-1]
    assert update.paused and update.frames_done == 1
    feed.publish(make_pair(1))
    for _ in range(5):
        update = worker.run_once()
        assert update is None or update.frame is None


def test_reset_stops_tracking_and_clears_the_history():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, auto_select=InitOnce(target_box_at(0)), poll_s=0.01)
    for index in range(3):
        feed.publish(make_pair(index))
        update = run_until(worker, fresh)[-1]
    assert len(update.history) == 2
    worker.reset()
    cleared = run_until(worker, lambda u: not u.tracking)[-1]
    assert len(cleared.history) == 0 and cleared.frame is not None
    feed.publish(make_pair(3))
    after = run_until(worker, fresh)[-1]
    assert after.result is None and tracker.tracked == [1, 2]


def test_a_selection_before_the_first_frame_waits_for_it():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, poll_s=0.01)
    worker.select((10, 10, 20, 20))
    feed.publish(make_pair(7))
    update = run_until(worker, fresh)[-1]
    assert tracker.initialized == [(7, (10.0, 10.0, 20.0, 20.0))] and update.tracking


def test_a_refused_selection_is_reported_and_tracking_does_not_start():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, poll_s=0.01)
    feed.publish(make_pair(0))
    run_until(worker, fresh)
    worker.select((500, 500, 10, 10))
    update = run_until(worker, lambda u: bool(u.message))[-1]
    assert "selection refused" in update.message and "outside" in update.message
    assert not update.tracking


def test_a_failing_tracking_step_stops_tracking_but_not_the_loop():
    feed, tracker = ManualFeed(), FakeTracker(fail_on_index=2)
    worker = InferenceWorker(feed, tracker, track_every_pair=True, auto_select=InitOnce(target_box_at(0)), poll_s=0.01)
    for index in range(4):
        feed.publish(make_pair(index))
        update = run_until(worker, fresh)[-1]
        if index == 2:
            assert "simulated failure" in update.message and not update.tracking
    assert update.frame.index == 3 and update.frames_done == 4


def test_init_from_truth_starts_on_the_first_pair_and_again_on_each_new_synthetic_sequence():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, auto_select=InitFromTruth(), poll_s=0.01)
    feed.publish(make_pair(0))  # no truth: nothing to start from
    run_until(worker, fresh)
    assert tracker.initialized == []
    for index in (1, 2):
        feed.publish(make_pair(index, truth=True))
        run_until(worker, fresh)
    feed.publish(make_pair(3, truth=True, events=frozenset({SEQUENCE_START_EVENT})))
    run_until(worker, fresh)
    assert tracker.initialized == [(1, target_box_at(1)), (3, target_box_at(3))]
    assert tracker.tracked == [2]


def test_max_frames_finishes_the_run():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, max_frames=3, poll_s=0.01)
    published = []

    def feeder():
        for index in range(3):
            feed.publish(make_pair(index))
            while feed.slot.published > 0 and worker.frames_done <= index and not worker.stopped:
                threading.Event().wait(0.005)

    thread = threading.Thread(target=feeder)
    thread.start()
    frames = worker.run(published.append)
    thread.join(1)
    assert frames == 3 and published[-1].finished
    assert sum(u.t_ready_s is not None for u in published) == 3


def test_status_updates_keep_coming_while_the_source_is_silent():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, poll_s=0.01, status_interval_s=0.02)
    updates = run_until(worker, lambda u: u.frame is None, max_steps=20)
    assert updates[-1].feed.rgb.state.value == "live" and updates[-1].frames_done == 0


def test_stop_from_another_thread_ends_run_quickly():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, poll_s=0.05)
    thread = threading.Thread(target=worker.run, args=(lambda update: None,))
    thread.start()
    worker.stop()
    thread.join(1.0)
    assert not thread.is_alive()


def test_selection_on_the_thermal_camera_grid_is_mapped_through_the_calibration():
    # Thermal camera at half resolution: rgb = 2 * tir + (8, 4) for pixel centres, so a box edge at
    # thermal x = 10 (centre coordinate 9.5) lands at 2 * 9.5 + 8 + 0.5 = 27.5 in RGB.
    matrix = np.array([[2.0, 0, 8.0], [0, 2.0, 4.0], [0, 0, 1]])
    calibration = Calibration(matrix, (160, 120), (80, 60), 0.1, "test", 4, "2025-01-01T00:00:00+00:00")
    feed, tracker = ManualFeed(FrameRegistrar(calibration)), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, poll_s=0.01)
    feed.publish(make_pair(0, tir_size_wh=(80, 60)))
    first = run_until(worker, fresh)[-1]
    assert first.tir_camera.shape == (60, 80) and first.frame.tir.shape == (120, 160)
    worker.select((10.0, 10.0, 5.0, 5.0), grid="tir")
    update = run_until(worker, lambda u: u.tracking)[-1]
    np.testing.assert_allclose(update.box_xywh, (27.5, 23.5, 10.0, 10.0), atol=1e-6)
    np.testing.assert_allclose(update.box_xywh_tir, (10.0, 10.0, 5.0, 5.0), atol=1e-6)


def test_recording_writes_a_csv_row_per_pair_and_an_annotated_video(tmp_path):
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, auto_select=InitOnce(target_box_at(0)), poll_s=0.01)
    worker.start_recording(tmp_path / "rec", fps=30.0)
    for index in range(6):
        feed.publish(make_pair(index))
        update = run_until(worker, fresh)[-1]
    assert update.recording_dir == tmp_path / "rec"
    worker.stop_recording()
    done = run_until(worker, lambda u: u.recording_dir is None, max_steps=50)[-1]
    assert "results saved" in done.message

    with open(tmp_path / "rec" / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["state"] for row in rows] == ["init"] + ["tracked"] * 5
    assert [int(row["frame_index"]) for row in rows] == list(range(6))
    assert float(rows[-1]["x"]) == pytest.approx(35.0)
    assert rows[0]["alpha_mean"] == "" and 0.0 <= float(rows[-1]["alpha_mean"]) <= 1.0
    assert rows[-1]["alpha_layer2"] != "" and float(rows[-1]["latency_ms"]) >= 0.0

    video = cv2.VideoCapture(str(tmp_path / "rec" / "annotated.mp4"))
    assert video.isOpened() and int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    ok, picture = video.read()
    assert ok and picture.shape == (120, 320, 3)  # RGB | thermal side by side
    video.release()


def test_a_scene_start_overtaken_in_the_slot_still_restarts_tracking_on_the_new_target():
    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, auto_select=InitFromTruth(), poll_s=0.01)
    feed.publish(make_pair(0, truth=True))
    run_until(worker, fresh)
    feed.publish(make_pair(1, truth=True, events=frozenset({SEQUENCE_START_EVENT})))
    feed.publish(make_pair(2, truth=True))  # the new scene's first pair is replaced before the loop took it
    run_until(worker, fresh)
    assert tracker.initialized == [(0, target_box_at(0)), (2, target_box_at(2))]  # re-selected on the newer pair


def test_answers_about_a_replaced_target_are_dropped():
    feed, tracker = ManualFeed(), FakeTracker(step_s=0.5)
    worker = InferenceWorker(feed, tracker, auto_select=InitFromTruth(), poll_s=0.01)
    feed.publish(make_pair(0, truth=True))
    run_until(worker, fresh)
    feed.publish(make_pair(1, truth=True))
    run_until(worker, fresh)
    for _ in range(10):
        worker.run_once()  # ~0.1 s: the slow step on pair 1 of the old scene is running
    assert worker.runner.busy and tracker.tracked == []
    feed.publish(make_pair(5, truth=True, events=frozenset({SEQUENCE_START_EVENT})))
    update = run_until(worker, fresh)[-1]
    assert update.box_xywh == target_box_at(5)  # the new target's box at once
    run_until(worker, lambda u: not worker.runner.busy and len(tracker.initialized) == 2, max_steps=300)
    later = run_until(worker, lambda u: True)[-1]
    assert tracker.tracked == [1]  # the old step finished, and its answer was dropped:
    assert later.box_xywh == target_box_at(5) and later.result is None and later.frames_tracked == 0


def test_single_stream_pairs_are_tracked_and_their_rows_say_so(tmp_path):
    from dataclasses import replace

    from tpmri_live.capture.dead_stream import single_stream_pair

    feed, tracker = ManualFeed(), FakeTracker()
    worker = InferenceWorker(feed, tracker, track_every_pair=True, auto_select=InitOnce(target_box_at(0)), poll_s=0.01)
    worker.start_recording(tmp_path / "rec", video=False)
    pairs = [make_pair(0), make_pair(1)]
    pairs.append(single_stream_pair(make_pair(2).rgb, "rgb", 2, (120, 160)))
    pairs.append(replace(single_stream_pair(make_pair(3).tir, "tir", 3, (120, 160, 3))))
    pairs.append(make_pair(4))
    downs = []
    for pair in pairs:
        feed.publish(pair)
        downs.append(run_until(worker, fresh)[-1].streams_down)
    worker.stop_recording()
    run_until(worker, lambda u: u.recording_dir is None, max_steps=50)
    assert downs == [frozenset(), frozenset(), {"tir"}, {"rgb"}, frozenset()]
    assert tracker.tracked == [1, 2, 3, 4] and len(tracker.initialized) == 1  # TMR's tracker carried on throughout
    with open(tmp_path / "rec" / "results.csv", newline="") as handle:
        states = [row["state"] for row in csv.DictReader(handle)]
    assert states == ["init", "tracked", "tracked-rgb-only", "tracked-tir-only", "tracked"]

"""The window with pytest-qt, offscreen: selection by mouse, plot and status, keys, closing, stalls, slow inference."""

from __future__ import annotations

import os
import re
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer

from live_fakes import FakeTracker, ListPairSource, ManualFeed, StallingPairSource, make_pair, target_box_at
from tpmri_live.capture.feeds import PairSourceFeed
from tpmri_live.gui.main_window import MainWindow
from tpmri_live.gui.worker_thread import WorkerThread
from tpmri_live.pipeline.replay_feed import ReplayFeed
from tpmri_live.pipeline.worker import InferenceWorker

WAIT_MS = 10_000  # generous: the CI machine may be busy; waits end as soon as the condition holds


@pytest.fixture
def open_window(qtbot):
    """Build, show and start a window over a feed and a tracker; everything is stopped afterwards."""
    windows: list[MainWindow] = []

    def open_(feed, tracker=None, **worker_args) -> MainWindow:
        feed.start()
        worker = InferenceWorker(feed, tracker or FakeTracker(), poll_s=0.01, status_interval_s=0.05, **worker_args)
        window = MainWindow(WorkerThread(worker), model_text="fake tracker on cpu", source_text="test feed")
        qtbot.addWidget(window)
        window.resize(1100, 750)
        window.show()
        window.start()
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.stop_worker()


def live_feed(fps: float = 30.0) -> PairSourceFeed:
    """A camera-like feed: an endless recorded source played at its rate on the capture side's thread."""
    return PairSourceFeed(ListPairSource(count=None, fps=fps, make=lambda i: make_pair(i, i / fps)))


def start_once(tracker: FakeTracker):
    """Auto-selection that starts tracking the true box on the first pair (like --init)."""
    asked: list[int] = []

    def select(pair):
        asked.append(pair.index)
        return target_box_at(pair.index) if len(asked) == 1 else None

    return select


def widget_point(view, x: float, y: float) -> QPoint:
    point = view.image_to_widget(QPointF(x, y))
    return QPoint(round(point.x()), round(point.y()))


def drag(qtbot, view, box_xywh) -> None:
    x, y, w, h = box_xywh
    start, end = widget_point(view, x, y), widget_point(view, x + w, y + h)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view, pos=(start + end) / 2)
    qtbot.mouseMove(view, pos=end)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)


def label_fps(text: str) -> float:
    match = re.search(r"([\d.]+) fps", text)
    return float(match.group(1)) if match else 0.0


def test_a_drag_selects_the_target_and_tracking_starts(qtbot, open_window):
    tracker = FakeTracker()
    window = open_window(live_feed(), tracker)
    qtbot.waitUntil(lambda: window.frames_shown > 0, timeout=WAIT_MS)
    assert window.last_update.box_xywh is None and window.target_state_label.text() == "No target"

    target = target_box_at(window.last_update.frame.index)
    drag(qtbot, window.rgb_view, target)
    qtbot.waitUntil(lambda: len(tracker.tracked) >= 3, timeout=WAIT_MS)

    _, box = tracker.initialized[0]
    np.testing.assert_allclose(box, target, atol=2.0)  # the dragged box, in image pixels
    qtbot.waitUntil(lambda: window.last_update.result is not None, timeout=WAIT_MS)
    assert window.target_state_label.text() == "Tracking"
    assert window.rgb_view.box_xywh == window.last_update.box_xywh
    assert window.tir_view.box_xywh is not None
    assert threading.get_ident() not in tracker.thread_ids  # inference ran off the GUI thread


def test_the_alpha_plot_and_the_rate_labels_update(qtbot, open_window):
    tracker = FakeTracker()
    window = open_window(live_feed(), tracker)
    qtbot.waitUntil(lambda: window.frames_shown > 0, timeout=WAIT_MS)
    drag(qtbot, window.tir_view, target_box_at(window.last_update.frame.index))  # either view selects
    qtbot.waitUntil(lambda: window.plot.points_shown >= 10, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: label_fps(window.status_strip.inference_label.text()) > 0, timeout=WAIT_MS)
    assert label_fps(window.status_strip.display_label.text()) > 0
    assert label_fps(window.status_strip.rgb_label.text()) > 0 and "live" in window.status_strip.rgb_label.text()
    assert "ms" in window.status_strip.latency_label.text()
    assert "Score 0.80" in window.score_label.text()
    assert window.trust_bar.alpha == pytest.approx(window.last_update.result.alpha_mean)
    window.layers_check.setChecked(True)
    qtbot.waitSignal(window.updateShown, timeout=WAIT_MS)
    assert len(window.plot.layer_curves) == 3 and all(curve.isVisible() for curve in window.plot.layer_curves)


def test_space_pauses_period_steps_one_frame_and_space_resumes(qtbot, open_window):
    tracker = FakeTracker()
    window = open_window(live_feed(), tracker, auto_select=start_once(tracker))
    qtbot.waitUntil(lambda: window.frames_shown > 2, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.last_update.paused, timeout=WAIT_MS)
    assert window.pause_button.text() == "Play"
    shown = window.frames_shown
    with qtbot.assertNotEmitted(window.frameShown, wait=300):
        pass
    assert window.frames_shown == shown

    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_Period)
    assert window.frames_shown == shown + 1 and window.last_update.paused
    with qtbot.assertNotEmitted(window.frameShown, wait=200):
        pass

    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.frames_shown > shown + 3, timeout=WAIT_MS)
    assert not window.last_update.paused and window.pause_button.text() == "Pause"


def test_r_resets_tracking_and_clears_the_plot(qtbot, open_window):
    tracker = FakeTracker()
    window = open_window(live_feed(), tracker, auto_select=start_once(tracker))
    qtbot.waitUntil(lambda: window.plot.points_shown > 0, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: window.last_update.box_xywh is None and window.frames_shown > 0, timeout=WAIT_MS)
    qtbot.waitSignal(window.updateShown, timeout=WAIT_MS)
    assert window.plot.points_shown == 0 and window.target_state_label.text() == "No target"
    assert window.rgb_view.box_xywh is None


def test_a_click_selects_a_default_box_and_escape_cancels_a_drag(qtbot, open_window):
    feed = ManualFeed()
    tracker = FakeTracker()
    window = open_window(feed, tracker)
    feed.publish(make_pair(0))
    qtbot.waitUntil(lambda: window.frames_shown == 1, timeout=WAIT_MS)
    view = window.rgb_view

    start, end = widget_point(view, 30, 40), widget_point(view, 50, 60)
    with qtbot.assertNotEmitted(view.boxSelected):
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(view, pos=end)
        assert view.selecting
        qtbot.keyClick(window, Qt.Key.Key_Escape)
        assert not view.selecting
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)

    with qtbot.waitSignal(view.boxSelected, timeout=WAIT_MS) as selected:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=widget_point(view, 80, 60))
    x, y, w, h = selected.args
    assert (w, h) == (view.default_box_px, view.default_box_px)
    assert (x + w / 2, y + h / 2) == pytest.approx((80, 60), abs=1.5)
    qtbot.waitUntil(lambda: len(tracker.initialized) == 1, timeout=WAIT_MS)
    assert tracker.framed == [False]  # a click's square frames nothing: the network's box replaces it

    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=widget_point(view, 20, 20))
    qtbot.mouseMove(view, pos=widget_point(view, 60, 40))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=widget_point(view, 60, 40))
    qtbot.waitUntil(lambda: len(tracker.initialized) == 2, timeout=WAIT_MS)
    assert tracker.framed == [False, True]


def test_palettes_and_the_blended_view(qtbot, open_window):
    feed = ManualFeed()
    window = open_window(feed)
    feed.publish(make_pair(0))
    qtbot.waitUntil(lambda: window.frames_shown == 1, timeout=WAIT_MS)
    window.set_palette("iron")
    assert window.tir_view.title.startswith("TIR · iron")
    window.set_view_mode("blended")
    assert window.tir_view.isHidden() and window.opacity_slider.isEnabled()
    window.opacity_slider.setValue(100)  # all thermal: the blended view shows the iron-coloured thermal image
    image = window.rgb_view._image
    from tpmri_live.pipeline.palettes import palette_lut

    pixel = image.pixelColor(0, 0)
    assert (pixel.red(), pixel.green(), pixel.blue()) == tuple(int(v) for v in palette_lut("iron")[30])
    window.set_view_mode("side by side")
    assert window.tir_view.isVisible() and not window.opacity_slider.isEnabled()


def test_closing_the_window_stops_every_thread_within_a_second(qtbot, open_window):
    before = set(threading.enumerate())
    tracker = FakeTracker(step_s=0.2)  # closing in the middle of a slow step
    window = open_window(live_feed(), tracker, auto_select=start_once(tracker))
    qtbot.waitUntil(lambda: len(tracker.tracked) >= 2, timeout=WAIT_MS)
    worker_thread = window.worker_thread
    started_s = time.monotonic()
    window.close()
    elapsed_s = time.monotonic() - started_s
    assert elapsed_s < 1.0  # the loop does not wait for the step in progress
    assert not worker_thread.isRunning()
    assert worker_thread.worker.runner.join(1.0)  # the step's own thread ends when its step does
    leftover = [thread for thread in threading.enumerate() if thread not in before and thread.is_alive()]
    assert leftover == []


def test_a_stalled_source_leaves_the_event_loop_responsive(qtbot, open_window):
    source = StallingPairSource(good=3)
    tracker = FakeTracker()
    window = open_window(PairSourceFeed(source), tracker)
    try:
        qtbot.waitUntil(source.stalled.is_set, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window.frames_shown >= 1, timeout=WAIT_MS)
        ticks: list[float] = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        timer.start(10)
        qtbot.waitUntil(lambda: len(ticks) >= 30, timeout=WAIT_MS)
        timer.stop()
        assert max(np.diff(ticks)) < 0.25  # the GUI thread never blocked on the frozen source
        # Status keeps coming and the worker still answers: a selection on the last frame shows at once.
        qtbot.waitUntil(lambda: label_fps(window.status_strip.rgb_label.text()) == 0.0, timeout=WAIT_MS)
        drag(qtbot, window.rgb_view, (30, 40, 20, 20))
        qtbot.waitUntil(lambda: window.last_update.box_xywh is not None, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: len(tracker.initialized) == 1, timeout=WAIT_MS)  # confirmed on the runner thread
        assert tracker.tracked == []
    finally:
        source.release()


def test_slow_inference_leaves_the_display_at_the_camera_rate_with_the_newest_box(qtbot, open_window):
    tracker = FakeTracker(step_s=0.2)  # 5 steps a second under a 30 fps camera: 6 pairs shown a step, 2 asked
    window = open_window(live_feed(fps=30.0), tracker, auto_select=start_once(tracker))
    qtbot.waitUntil(lambda: len(tracker.tracked) >= 6, timeout=WAIT_MS)
    shown, tracked = window.frames_shown, len(tracker.tracked)
    assert shown > 2 * tracked  # every arriving pair is drawn, not only the tracked ones
    gaps = np.diff(tracker.tracked)
    assert gaps.min() > 1  # the tracker, when free, took the newest pair
    qtbot.waitUntil(lambda: window.last_update.box_age_frames > 1, timeout=WAIT_MS)
    assert "frames old" in window.rgb_view._box_caption  # an old box says how old it is
    assert window._latency_ms < 200  # capture to display: one pair, not one step
    assert label_fps(window.status_strip.display_label.text()) > label_fps(window.status_strip.inference_label.text())


def test_replay_bar_seeks_and_shows_the_position(qtbot, open_window):
    feed = ReplayFeed(ListPairSource(count=50), speed=0.0)
    window = open_window(feed)
    qtbot.waitUntil(lambda: window.last_update is not None and window.last_update.replay is not None and window.last_update.replay.ended, timeout=WAIT_MS)
    assert window.replay_bar.isVisible() and window.seek_slider.maximum() == 49
    assert window.position_label.text().startswith("frame 50 / 50")
    window.worker.pause()
    window.worker.seek(20)
    qtbot.waitUntil(lambda: window._frame is not None and window._frame.index == 20, timeout=WAIT_MS)  # the frame on screen
    assert window.seek_slider.value() == 20 and window.position_label.text() == "frame 21 / 50"
    window.speed_combo.setCurrentText("2x")
    qtbot.waitUntil(lambda: window.last_update.replay.speed == 2.0, timeout=WAIT_MS)


def test_screenshot_saves_the_window(qtbot, open_window, tmp_path):
    feed = ManualFeed()
    window = open_window(feed)
    feed.publish(make_pair(0))
    qtbot.waitUntil(lambda: window.frames_shown == 1, timeout=WAIT_MS)
    path = window.save_screenshot(tmp_path / "shots" / "window.png")
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull() and image.width() == window.width()


def test_the_widgets_do_not_import_torch():
    import subprocess
    import sys

    code = "import sys, tpmri_live.gui.main_window, tpmri_live.gui.worker_thread, tpmri_live.pipeline.worker; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"


def test_lost_target_and_status_only_updates_keep_what_is_on_screen(qtbot, open_window):
    from tpmri_core.frames import RGBTFrame
    from tpmri_core.tracking.result import TrackResult
    from tpmri_live.pipeline.worker import WorkerUpdate

    feed = ManualFeed()
    window = open_window(feed)
    window.worker.pause()  # the test draws its own updates
    pair = make_pair(3)
    frame = RGBTFrame(rgb=pair.rgb.image, tir=pair.tir.image, index=3)
    box = (30.0, 40.0, 20.0, 20.0)
    lost = TrackResult(box_xywh=box, score=0.0, alpha_mean=float("nan"), lost=True)
    common = dict(box_xywh=box, box_xywh_tir=box, frames_done=4, paused=False, inference_fps=10.0, step_ms=20.0, feed=feed.status())
    window.show_update(WorkerUpdate(frame=frame, tir_camera=pair.tir.image, result=lost, t_ready_s=time.monotonic(), **common))
    assert window.target_state_label.text() == "Lost" and window.score_label.text() == "Score –"
    assert window.rgb_view._box_caption == "lost" and window.rgb_view._box_lost
    window.show_update(WorkerUpdate(frame=None, tir_camera=None, result=lost, t_ready_s=None, **common))
    assert window.target_state_label.text() == "Lost" and window.rgb_view._box_caption == "lost"
    assert window.frames_shown == 1


def test_a_camera_that_stops_leaves_the_other_tracked_and_the_status_honest(qtbot, open_window):
    from live_fakes import GappyCamera
    from tpmri_live.capture.feeds import CameraPairFeed

    tir = GappyCamera("tir", gap_at=20, gap_s=1.5)  # the thermal camera goes silent for 1.5 s, then comes back
    feed = CameraPairFeed(GappyCamera("rgb"), tir)
    tracker = FakeTracker()
    window = open_window(feed, tracker, auto_select=start_once(tracker))
    qtbot.waitUntil(tir.in_gap.is_set, timeout=WAIT_MS)
    tracked_before = len(tracker.tracked)
    qtbot.waitUntil(lambda: window.last_update.streams_down == {"tir"}, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(tracker.tracked) > tracked_before + 5, timeout=WAIT_MS)  # tracking goes on
    assert not tir.resumed.is_set()
    assert window.streams_label.text() == "Thermal stream down · tracking on RGB alone"
    qtbot.waitUntil(lambda: "down" in window.status_strip.tir_label.text(), timeout=WAIT_MS)
    assert "live" in window.status_strip.rgb_label.text()
    assert window.tir_view.banner == "THERMAL STREAM DOWN · tracking on RGB alone" and window.rgb_view.banner == ""
    assert window.target_state_label.text() == "Tracking"
    assert window._frame.tir.mean() < 40  # what the tracker gets for thermal: a dead sensor's frame

    qtbot.waitUntil(tir.resumed.is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.last_update.streams_down == frozenset() and window.streams_label.text() == "", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window._frame.tir.max() > 200, timeout=WAIT_MS)  # real thermal pairs again
    qtbot.waitUntil(lambda: "live" in window.status_strip.tir_label.text(), timeout=WAIT_MS)  # redrawn 4 times a second
    assert window.tir_view.banner == ""
    assert len(tracker.initialized) == 1  # never restarted: the tracker (and TMR's state) carried on


def _plain_scene(count: int) -> list:
    """A textured background with one textured square drifting right: frames the template matcher can follow
    (the generator's scenes change the target's size and look, which a fixed template cannot)."""
    from types import SimpleNamespace

    rng = np.random.default_rng(3)
    background = cv2.GaussianBlur(rng.uniform(40, 120, (240, 320)).astype(np.float32), (0, 0), 4).astype(np.uint8)
    patch = cv2.GaussianBlur(rng.uniform(150, 255, (32, 32)).astype(np.float32), (0, 0), 1.5).astype(np.uint8)
    frames = []
    for index in range(count):
        x, y = 60 + index, 100
        grey = background.copy()
        grey[y : y + 32, x : x + 32] = patch
        frames.append(SimpleNamespace(rgb=np.repeat(grey[..., None], 3, axis=-1), tir=grey, box_xywh_rgb=(float(x), float(y), 32.0, 32.0)))
    return frames


def test_a_hidden_target_is_lost_then_reacquired_without_a_click(qtbot, open_window):
    from live_fakes import TemplateMatchTracker
    from tpmri_core.evaluation.box_errors import overlaps
    from tpmri_core.evaluation.reacquisition import hide_target
    from tpmri_core.tracking.target_state import ReacquiringTracker, StateThresholds
    from tpmri_live.capture.timed_frames import FramePair, TimedFrame
    from tpmri_live.pipeline.auto_select import InitOnce

    sequence = hide_target(_plain_scene(90), start=25, length=25)  # hidden for 1 s at 25 fps
    assert sequence is not None

    def make(index: int) -> FramePair:
        frame = sequence.frames[index]
        return FramePair(TimedFrame(frame.rgb, index / 25.0, index), TimedFrame(frame.tir, index / 25.0, index), index)

    # Thresholds for this template matcher's scores (the model's own are in target_state.DEFAULT_THRESHOLDS).
    tracker = ReacquiringTracker(TemplateMatchTracker(), StateThresholds(lost_below=0.5, uncertain_below=0.65, reacquire_above=0.7))
    feed = ReplayFeed(ListPairSource(count=90, fps=25.0, make=make), speed=2.0)
    window = open_window(feed, tracker, auto_select=InitOnce(tuple(sequence.boxes_xywh[0])))
    seen: list[tuple[int, str]] = []
    window.updateShown.connect(lambda: seen.append((window._frame.index if window._frame is not None else -1, window.target_state_label.text())))
    qtbot.waitUntil(lambda: window.last_update is not None and window.last_update.replay.ended, timeout=WAIT_MS)
    hidden = {text for index, text in seen if 35 <= index < 50}
    after = [text for index, text in seen if index >= 70]
    assert "Lost · searching" in hidden  # the window said so while the target was hidden
    assert after and set(after) <= {"Tracking", "Uncertain"}  # and found it again, with no click
    assert tracker.reacquisitions >= 1
    final = window.last_update
    iou = overlaps(np.array(final.box_xywh), sequence.boxes_xywh[final.frame.index if final.frame is not None else 89])[0]
    assert iou >= 0.5

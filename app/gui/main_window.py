"""The tpmri-live window: RGB and thermal views with the box, the alpha(t) plot, controls and status.

A thin layer: it draws `WorkerUpdate`s and turns clicks and keys into worker commands. It never
imports torch and never waits on the worker; closing it stops the worker and the capture threads.

Every pair is drawn as it arrives, with the newest box; the box's colour and the target panel say the
target state (green tracking, amber uncertain, red lost and searching), its caption the score and, when
inference is behind the cameras, how many frames old the box is. A stream that is down gets a banner
on its view, a red 'down' on the status strip and a line in the target panel.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.result import TrackResult
from tpmri_live.pipeline.replay_feed import ReplayPosition
from tpmri_live.gui.alpha_plot import AlphaPlot
from tpmri_live.gui.frame_view import FrameView
from tpmri_live.gui.status_strip import StatusStrip
from tpmri_live.gui.trust_bar import TrustBar
from tpmri_live.gui.worker_thread import WorkerThread
from tpmri_live.pipeline.palettes import PALETTE_NAMES, blend_rgb_tir, colorize_tir
from tpmri_live.pipeline.rate_monitor import RateMonitor
from tpmri_live.pipeline.run_stats import RunStats
from tpmri_live.pipeline.worker import WorkerUpdate, latency_ms

# 'side by side' shows the thermal camera's own image with the box mapped through the calibration;
# 'registered' shows the thermal image warped onto the RGB grid (what the tracker sees); 'blended' lays it over RGB.
VIEW_MODES: tuple[str, ...] = ("side by side", "registered", "blended")
SPEEDS: tuple[tuple[str, float], ...] = (("0.25x", 0.25), ("0.5x", 0.5), ("1x", 1.0), ("2x", 2.0), ("4x", 4.0), ("every frame", 0.0))
# The alpha(t) plot redraws at most this often: redrawing it at the cameras' rate costs the display its rate.
PLOT_INTERVAL_S = 0.1
STATUS_INTERVAL_S = 0.25
TARGET_STATES = {  # target state -> (words, colour)
    "tracking": ("Tracking", "#66bb6a"),
    "uncertain": ("Uncertain", "#ffb74d"),
    "lost": ("Lost · searching", "#ef5350"),
}
STREAM_NAMES = {"rgb": "RGB", "tir": "thermal"}
HINT = (
    "<b>Drag</b> on a view: select the target<br><b>Click</b>: a default-size box<br>"
    "<b>R</b> reset · <b>Space</b> pause · <b>.</b> step · <b>Esc</b> cancel"
)


def _button(text: str, tooltip: str, checkable: bool = False) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tooltip)
    button.setCheckable(checkable)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return button


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: #9e9ea6;")
    return label


class MainWindow(QMainWindow):
    """The application window over a running `WorkerThread`.

    Args:
        worker_thread: the inference loop (started by `start()`).
        model_text: model and device for the status strip.
        source_text: what is being watched, for the title bar.
        record_root: folder under which the Record button creates one folder per recording.
        screenshot_path: saved from the window just before it closes (--screenshot).
        palette: initial thermal palette (one of PALETTE_NAMES).
        plot_window_s: seconds of alpha(t) shown.
        clock: time.monotonic (the capture clock), for latency and display rate.
        stats: the run's counters (--stats-json); the window adds the pairs it drew.

    Signals:
        updateShown: an update was drawn (tests wait on it).
        frameShown: a newly processed frame was drawn.
        runFinished: the worker finished on its own (--max-frames); the application then closes the window.
    """

    updateShown = Signal()
    frameShown = Signal()
    runFinished = Signal()

    def __init__(
        self,
        worker_thread: WorkerThread,
        model_text: str,
        source_text: str = "",
        record_root: Path | str = Path("runs"),
        screenshot_path: Path | str | None = None,
        palette: str = "inferno",
        plot_window_s: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        stats: RunStats | None = None,
    ) -> None:
        super().__init__()
        if palette not in PALETTE_NAMES:
            raise ValueError(f"unknown palette {palette!r}; choose one of {', '.join(PALETTE_NAMES)}")
        self.worker_thread = worker_thread
        self.worker = worker_thread.worker
        self.record_root = Path(record_root)
        self.screenshot_path = None if screenshot_path is None else Path(screenshot_path)
        self.screenshot_saved: Path | None = None
        self.palette = palette
        self.view_mode = VIEW_MODES[0]
        self.tir_opacity = 0.5
        self._plot_window_s = plot_window_s
        self._clock = clock
        self._display_rate = RateMonitor(window_s=2.0)
        self._frame: RGBTFrame | None = None
        self._tir_camera: np.ndarray | None = None
        self._box_xywh: tuple[float, float, float, float] | None = None
        self._box_xywh_tir: tuple[float, float, float, float] | None = None
        self._result: TrackResult | None = None
        self._latency_ms: float | None = None
        self._box_age_frames = 0
        self._target_state: str | None = None
        self._streams_down: frozenset[str] = frozenset()
        self._plot_drawn_s = -math.inf
        self._status_drawn_s = -math.inf
        self.stats = stats
        self._replay_known = False
        self._closing = False
        self.frames_shown = 0
        self.updates_shown = 0
        self.last_update: WorkerUpdate | None = None

        self.setWindowTitle(f"TPMRI Live — {source_text}" if source_text else "TPMRI Live")
        self._build(model_text)
        self.source_label.setText(source_text)
        self._bind_keys()
        worker_thread.updateReady.connect(self._on_update_ready)
        worker_thread.runFinished.connect(self._on_worker_finished)
        self.resize(1440, 900)

    # Layout.

    def _build(self, model_text: str) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_controls())

        self.rgb_view = FrameView("RGB")
        self.tir_view = FrameView("TIR")
        self.rgb_view.boxSelected.connect(lambda x, y, w, h: self._on_box_selected((x, y, w, h), self.rgb_view))
        self.tir_view.boxSelected.connect(lambda x, y, w, h: self._on_box_selected((x, y, w, h), self.tir_view))
        views = QWidget()
        views_layout = QHBoxLayout(views)
        views_layout.setContentsMargins(6, 6, 6, 6)
        views_layout.setSpacing(6)
        views_layout.addWidget(self.rgb_view)
        views_layout.addWidget(self.tir_view)

        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(6, 0, 6, 6)
        lower_layout.setSpacing(6)
        self.plot = AlphaPlot(window_s=self._plot_window_s)
        lower_layout.addWidget(self.plot, stretch=1)
        lower_layout.addWidget(self._build_target_panel())

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(views)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([560, 270])
        lower.setMinimumHeight(230)
        splitter.setChildrenCollapsible(False)

        layout.addWidget(splitter, stretch=1)
        layout.addWidget(self._build_replay_bar())
        self.status_strip = StatusStrip(model_text)
        self.status_strip.setObjectName("statusStrip")
        layout.addWidget(self.status_strip)
        self.setCentralWidget(central)

    def _build_controls(self) -> QWidget:
        controls = QWidget()
        controls.setObjectName("controls")
        row = QHBoxLayout(controls)
        row.setContentsMargins(8, 6, 8, 6)
        row.setSpacing(8)
        self.pause_button = _button("Pause", "Pause or resume (Space)")
        self.step_button = _button("Step", "Process one more frame (.)")
        self.reset_button = _button("Reset", "Stop tracking and clear the plot (R)")
        self.record_button = _button("● Record", "Write results.csv and annotated.mp4", checkable=True)
        self.pause_button.clicked.connect(self.worker.toggle_pause)
        self.step_button.clicked.connect(self.worker.step)
        self.reset_button.clicked.connect(self.reset_tracking)
        self.record_button.toggled.connect(self._on_record_toggled)
        for button in (self.pause_button, self.step_button, self.reset_button, self.record_button):
            row.addWidget(button)
        row.addSpacing(16)

        self.palette_combo = QComboBox()
        self.palette_combo.addItems(list(PALETTE_NAMES))
        self.palette_combo.setCurrentText(self.palette)
        self.palette_combo.currentTextChanged.connect(self.set_palette)
        self.palette_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(_caption("Palette"))
        row.addWidget(self.palette_combo)

        self.view_combo = QComboBox()
        self.view_combo.addItems(list(VIEW_MODES))
        self.view_combo.currentTextChanged.connect(self.set_view_mode)
        self.view_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(_caption("View"))
        row.addWidget(self.view_combo)

        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setValue(int(self.tir_opacity * 100))
        self.opacity_slider.setFixedWidth(140)
        self.opacity_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.opacity_slider.setToolTip("Thermal opacity in the blended view")
        self.opacity_slider.valueChanged.connect(lambda value: self.set_tir_opacity(value / 100.0))
        self.opacity_label = _caption("TIR opacity")
        row.addWidget(self.opacity_label)
        row.addWidget(self.opacity_slider)

        self.layers_check = QCheckBox("alpha per layer")
        self.layers_check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.layers_check.toggled.connect(lambda checked: self.plot.set_show_layers(checked))
        row.addSpacing(16)
        row.addWidget(self.layers_check)
        row.addStretch(1)
        self.source_label = QLabel("")
        self.source_label.setStyleSheet("color: #9e9ea6;")
        row.addWidget(self.source_label)
        self.recording_label = QLabel("")
        self.recording_label.setStyleSheet("color: #ef5350; font-weight: bold;")
        row.addWidget(self.recording_label)
        self._sync_opacity_enabled()
        return controls

    def _build_target_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("targetPanel")
        panel.setFixedWidth(330)
        column = QVBoxLayout(panel)
        column.setContentsMargins(12, 8, 12, 8)
        column.setSpacing(4)
        title = QLabel("TARGET")
        title.setObjectName("panelTitle")
        self.target_state_label = QLabel("No target")
        self.target_state_label.setObjectName("targetState")
        self.streams_label = QLabel("")
        self.streams_label.setStyleSheet("color: #ef5350; font-weight: bold;")
        self.streams_label.setWordWrap(True)
        self.score_label = QLabel("Score –")
        self.alpha_label = QLabel("alpha –")
        self.trust_bar = TrustBar()
        self.message_label = QLabel("")
        self.message_label.setObjectName("message")
        self.message_label.setWordWrap(True)
        self.hint_label = QLabel(HINT)
        self.hint_label.setTextFormat(Qt.TextFormat.RichText)
        self.hint_label.setObjectName("hint")
        self.hint_label.setWordWrap(True)
        for widget in (title, self.target_state_label, self.streams_label, self.score_label, _caption("Modality trust (TMR alpha)"), self.trust_bar, self.alpha_label, self.message_label):
            column.addWidget(widget)
        column.addStretch(1)
        column.addWidget(self.hint_label)
        return panel

    def _build_replay_bar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("replayBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 4, 8, 4)
        self.seek_slider = QSlider(Qt.Orientation.Horizontal)
        self.seek_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.seek_slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.seek_slider.sliderReleased.connect(lambda: self.worker.seek(self.seek_slider.value()))
        self.seek_slider.actionTriggered.connect(self._on_seek_action)
        self.position_label = QLabel("")
        self.speed_combo = QComboBox()
        self.speed_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for text, speed in SPEEDS:
            self.speed_combo.addItem(text, speed)
        self.speed_combo.setCurrentText("1x")
        self.speed_combo.currentIndexChanged.connect(lambda index: self.worker.set_speed(float(self.speed_combo.itemData(index))))
        row.addWidget(_caption("Replay"))
        row.addWidget(self.seek_slider, stretch=1)
        row.addWidget(self.position_label)
        row.addWidget(_caption("Speed"))
        row.addWidget(self.speed_combo)
        bar.setVisible(False)
        self.replay_bar = bar
        return bar

    def _bind_keys(self) -> None:
        bindings = (
            (Qt.Key.Key_R, self.reset_tracking),
            (Qt.Key.Key_Space, self.worker.toggle_pause),
            (Qt.Key.Key_Period, self.worker.step),
            (Qt.Key.Key_Escape, self.cancel_selection),
        )
        self.shortcuts = []
        for key, slot in bindings:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
            self.shortcuts.append(shortcut)

    # Commands.

    def start(self) -> None:
        """Start the inference loop (the window shows frames as they come)."""
        self.worker_thread.start()

    def reset_tracking(self) -> None:
        self.cancel_selection()
        self.worker.reset()

    def cancel_selection(self) -> None:
        for view in (self.rgb_view, self.tir_view):
            view.cancel_selection()

    def set_palette(self, palette: str) -> None:
        if palette not in PALETTE_NAMES:
            raise ValueError(f"unknown palette {palette!r}")
        self.palette = palette
        if self.palette_combo.currentText() != palette:
            self.palette_combo.setCurrentText(palette)
        self._render_frame()

    def set_view_mode(self, mode: str) -> None:
        if mode not in VIEW_MODES:
            raise ValueError(f"unknown view mode {mode!r}")
        self.view_mode = mode
        if self.view_combo.currentText() != mode:
            self.view_combo.setCurrentText(mode)
        self.tir_view.setVisible(mode != "blended")
        self.rgb_view.title = "RGB + TIR" if mode == "blended" else "RGB"
        self._sync_opacity_enabled()
        self._render_frame()

    def set_tir_opacity(self, opacity: float) -> None:
        self.tir_opacity = float(np.clip(opacity, 0.0, 1.0))
        self._render_frame()

    def _sync_opacity_enabled(self) -> None:
        blended = self.view_mode == "blended"
        self.opacity_slider.setEnabled(blended)
        self.opacity_label.setEnabled(blended)

    def _on_box_selected(self, box_xywh: tuple[float, float, float, float], view: FrameView) -> None:
        on_camera_grid = view is self.tir_view and self.view_mode == "side by side"
        self.worker.select(box_xywh, grid="tir" if on_camera_grid else "rgb", framed=not view.last_selection_was_click)
        view.set_box(box_xywh, caption="target")

    def _on_record_toggled(self, recording: bool) -> None:
        if recording:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            fps = max((stream.fps for stream in self._feed_streams()), default=0.0) or 25.0
            self.worker.start_recording(self.record_root / f"live-{stamp}", fps=round(fps, 1), palette=self.palette)
        else:
            self.worker.stop_recording()

    def _feed_streams(self) -> tuple:
        if self.last_update is None:
            return ()
        return (self.last_update.feed.rgb, self.last_update.feed.tir)

    def _on_seek_action(self, action: int) -> None:
        # Clicks on the groove and keyboard steps (not drags, which seek on release).
        if not self.seek_slider.isSliderDown():
            self.worker.seek(self.seek_slider.sliderPosition())

    # Drawing updates.

    def _on_update_ready(self) -> None:
        update = self.worker_thread.take_update()
        if update is not None and not self._closing:
            self.show_update(update)

    def show_update(self, update: WorkerUpdate) -> None:
        now_s = self._clock()
        self.last_update = update
        if update.frame is not None:
            self._frame = update.frame
            self._tir_camera = update.tir_camera
        if update.t_ready_s is not None:
            self._display_rate.tick(now_s)
            self._latency_ms = latency_ms(update.t_ready_s, now_s)
            self.frames_shown += 1
            if self.stats is not None:
                self.stats.on_shown(now_s)
        self._box_xywh = update.box_xywh
        self._box_xywh_tir = update.box_xywh_tir
        self._result = update.result
        self._box_age_frames = update.box_age_frames
        self._target_state = update.target_state
        self._streams_down = update.streams_down
        self._render_frame()
        if now_s - self._plot_drawn_s >= PLOT_INTERVAL_S or update.frame is None or update.box_xywh is None:
            self._plot_drawn_s = now_s
            self.plot.set_history(update.history)
        self._show_target(update)
        self._show_status(update, now_s)
        self._show_replay(update.replay)
        self.pause_button.setText("Play" if update.paused else "Pause")
        self.recording_label.setText(f"● REC {update.recording_dir}" if update.recording_dir is not None else "")
        if update.recording_dir is None and self.record_button.isChecked() and "recording" not in update.message:
            self.record_button.blockSignals(True)
            self.record_button.setChecked(False)
            self.record_button.blockSignals(False)
        self.updates_shown += 1
        self.updateShown.emit()
        if update.t_ready_s is not None:
            self.frameShown.emit()
        if update.finished:
            self.runFinished.emit()

    def _render_frame(self) -> None:
        frame = self._frame
        if frame is None:
            return
        camera_view = self.view_mode == "side by side" and self._tir_camera is not None
        tir = self._tir_camera if camera_view else frame.tir
        tir_rgb = colorize_tir(tir, self.palette)
        if self.view_mode == "blended":
            self.rgb_view.set_image(blend_rgb_tir(frame.rgb, tir_rgb, self.tir_opacity))
        else:
            self.rgb_view.set_image(frame.rgb)
            self.tir_view.set_image(tir_rgb)
        self.tir_view.title = f"TIR · {self.palette}" + ("" if camera_view else " · registered")
        caption, state = self._box_caption()
        self.rgb_view.set_box(self._box_xywh, caption=caption, state=state)
        self.tir_view.set_box(self._box_xywh_tir if camera_view else self._box_xywh, caption=caption, state=state)
        for modality, view in (("rgb", self.rgb_view), ("tir", self.tir_view)):
            other = STREAM_NAMES["tir" if modality == "rgb" else "rgb"]
            down = modality in self._streams_down
            view.set_banner(f"{STREAM_NAMES[modality].upper()} STREAM DOWN · tracking on {other} alone" if down else "")

    def _box_caption(self) -> tuple[str, str]:
        """The caption on the box and the state that colours it."""
        result = self._result
        if self._box_xywh is None:
            return "", "tracking"
        if result is None:
            return "target", "tracking"
        if result.lost:
            return "lost", "lost"
        state = self._target_state or "tracking"
        words = "lost" if state == "lost" else f"{result.score:.2f}"
        if self._box_age_frames > 1:
            words += f" · {self._box_age_frames} frames old"
        return words, state

    def _show_target(self, update: WorkerUpdate) -> None:
        result = self._result
        if update.box_xywh is None:
            state, colour = "No target", "#9e9ea6"
        elif result is not None and result.lost:
            state, colour = "Lost", "#ef5350"
        else:
            state, colour = TARGET_STATES.get(update.target_state or "tracking", TARGET_STATES["tracking"])
            if update.paused:
                state += " (paused)"
        _set_text(self.target_state_label, state)
        _set_style(self.target_state_label, f"color: {colour};")
        _set_text(self.streams_label, streams_text(update.streams_down, tracking=update.box_xywh is not None))
        if result is not None and not result.lost:
            _set_text(self.score_label, f"Score {result.score:.2f}")
            _set_text(self.alpha_label, _alpha_words(result.alpha_mean))
            self.trust_bar.set_alpha(result.alpha_mean)
        else:
            _set_text(self.score_label, "Score –")
            _set_text(self.alpha_label, "alpha –")
            self.trust_bar.set_alpha(None)
        _set_text(self.message_label, update.message)

    def _show_status(self, update: WorkerUpdate, now_s: float) -> None:
        # Rich-text labels cost a relayout each: the numbers change every frame, people read them a few times a second.
        if now_s - self._status_drawn_s < STATUS_INTERVAL_S and update.frame is not None:
            return
        self._status_drawn_s = now_s
        self.status_strip.show_feed(update.feed, replay=update.replay is not None, paused=update.paused, down=update.streams_down)
        self.status_strip.show_rates(update.inference_fps, update.step_ms, update.box_xywh is not None, self._display_rate.rate_hz(now_s))
        self.status_strip.show_latency(self._latency_ms)

    def _show_replay(self, replay: ReplayPosition | None) -> None:
        if replay is None:
            return
        if not self._replay_known:
            self._replay_known = True
            self.replay_bar.setVisible(True)
        count = replay.frame_count
        self.seek_slider.setEnabled(count is not None)
        if count is not None and self.seek_slider.maximum() != max(0, count - 1):
            self.seek_slider.setRange(0, max(0, count - 1))
        shown = max(0, replay.shown)
        if not self.seek_slider.isSliderDown():
            self.seek_slider.blockSignals(True)
            self.seek_slider.setValue(shown)
            self.seek_slider.blockSignals(False)
        total = "?" if count is None else str(count)
        ended = " · end" if replay.ended else ""
        self.position_label.setText(f"frame {shown + 1} / {total}{ended}")

    def _on_worker_finished(self) -> None:
        error = self.worker_thread.error
        if error is not None:
            self.message_label.setText(f"inference stopped: {type(error).__name__}: {error}")

    # Closing.

    def save_screenshot(self, path: Path | str | None = None) -> Path | None:
        """Save the window as it is now; returns the path, or None when nothing could be written."""
        target = Path(path) if path is not None else self.screenshot_path
        if target is None:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        if not self.grab().save(str(target)):
            return None
        self.screenshot_saved = target
        return target

    def stop_worker(self, timeout_s: float = 1.0) -> bool:
        """Stop the inference loop and the capture threads; True when everything ended within `timeout_s`."""
        self._closing = True
        return self.worker_thread.stop(timeout_s)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.screenshot_path is not None and self.screenshot_saved is None:
            self.save_screenshot()
        self.stop_worker()
        super().closeEvent(event)


def _set_text(label: QLabel, text: str) -> None:
    """setText only when the text changes (each call re-lays the panel out)."""
    if label.text() != text:
        label.setText(text)


def _set_style(label: QLabel, style: str) -> None:
    """setStyleSheet only when it changes (each call re-polishes the widget)."""
    if label.styleSheet() != style:
        label.setStyleSheet(style)


def streams_text(down: frozenset[str], tracking: bool) -> str:
    """The target panel's line about a stream that is down ('' when both are up)."""
    if len(down) != 1:
        return "Both streams down" if down else ""
    (modality,) = down
    other = STREAM_NAMES["tir" if modality == "rgb" else "rgb"]
    going_on = f"tracking on {other} alone" if tracking else f"{other} only"
    title = "RGB" if modality == "rgb" else "Thermal"
    return f"{title} stream down · {going_on}"


def _alpha_words(alpha: float) -> str:
    if not math.isfinite(alpha):
        return "alpha –"
    if alpha > 0.55:
        leaning = "leans on RGB"
    elif alpha < 0.45:
        leaning = "leans on TIR"
    else:
        leaning = "balanced"
    return f"alpha {alpha:.2f} · {leaning}"

"""The status strip under the views: each source's state and rate, inference rate, latency, drops, model.

The texts come from small pure functions so they are easy to read and to test.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from tpmri_live.capture.capture_thread import CaptureStatus
from tpmri_live.capture.feeds import FeedStatus

STATE_COLOURS = {
    "live": "#66bb6a",
    "playing": "#66bb6a",
    "paused": "#bdbdbd",
    "starting": "#bdbdbd",
    "ended": "#bdbdbd",
    "closed": "#bdbdbd",
    "reconnecting": "#ffb74d",
    "lost": "#ef5350",
    "down": "#ef5350",
}


def stream_text(modality: str, stream: CaptureStatus, replay: bool = False, paused: bool = False, down: bool = False) -> str:
    """'RGB ● live 25.0 fps' as rich text with the state in its colour (a replay reads 'playing' or 'paused';
    a stream the feed goes on without reads 'down', or 'ended' for a recording that ended early)."""
    state = stream.state.value
    if replay and state == "live":
        state = "paused" if paused else "playing"
    if down and state not in ("ended", "lost", "reconnecting"):
        state = "down"
    colour = STATE_COLOURS.get(state, "#bdbdbd")
    rate = f" {stream.fps:4.1f} fps" if state in ("live", "playing") else ""
    return f"<b>{modality.upper()}</b> <span style='color:{colour}'>● {state}</span>{rate}"


def inference_text(fps: float, step_ms: float | None, tracking: bool) -> str:
    if not tracking:
        return "<b>Inference</b> idle"
    step = f" · {step_ms:.0f} ms" if step_ms is not None and math.isfinite(step_ms) else ""
    return f"<b>Inference</b> {fps:4.1f} fps{step}"


def latency_text(latency_ms: float | None) -> str:
    if latency_ms is None or not math.isfinite(latency_ms):
        return "<b>Latency</b> –"
    return f"<b>Latency</b> {latency_ms:.0f} ms"


def display_text(fps: float) -> str:
    return f"<b>Display</b> {fps:4.1f} fps"


def dropped_text(feed: FeedStatus) -> str:
    return f"<b>Dropped</b> {feed.dropped} · <b>Skipped</b> {feed.skipped}"


def _label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def _reserve_width(label: QLabel, widest_text: str) -> None:
    """Keep room for the widest text the label will show, so numbers never get clipped or shift the row."""
    text = label.text()
    label.setText(widest_text)
    label.setMinimumWidth(max(label.minimumWidth(), label.sizeHint().width() + 6))
    label.setText(text)


class ElidedLabel(QLabel):
    """Plain text that gives up its middle ('tpmri-tiny (tpmri…tensors) on cpu') when the row runs out of
    room, instead of being cut off at the edge; the whole text stays in the tooltip."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.full_text = text
        self.setToolTip(text)
        self.setMinimumWidth(0)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideMiddle, max(0, self.width() - 2)))


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setStyleSheet("color: #3a3a40;")
    return line


class StatusStrip(QWidget):
    """One row of labels; `show_*` methods set them."""

    def __init__(self, model_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(8)
        self.rgb_label = _label("<b>RGB</b> …")
        self.tir_label = _label("<b>TIR</b> …")
        self.inference_label = _label(inference_text(0.0, None, False))
        self.display_label = _label(display_text(0.0))
        self.latency_label = _label(latency_text(None))
        self.dropped_label = _label("<b>Dropped</b> 0 · <b>Skipped</b> 0")
        self.dropped_label.setToolTip(
            "Dropped: pairs never formed (the cameras' frames too far apart in time).\n"
            "Skipped: pairs replaced by a newer one before inference took them (newest pair wins)."
        )
        self.model_label = ElidedLabel(model_text)
        self.model_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        _reserve_width(self.rgb_label, "<b>RGB</b> ● reconnecting")
        _reserve_width(self.tir_label, "<b>TIR</b> ● reconnecting")
        _reserve_width(self.rgb_label, "<b>RGB</b> ● playing 888.8 fps")
        _reserve_width(self.tir_label, "<b>TIR</b> ● playing 888.8 fps")
        _reserve_width(self.inference_label, inference_text(888.8, 8888.0, True))
        _reserve_width(self.display_label, display_text(888.8))
        _reserve_width(self.latency_label, latency_text(8888.0))
        for index, widget in enumerate(
            (self.rgb_label, self.tir_label, self.inference_label, self.display_label, self.latency_label, self.dropped_label)
        ):
            if index:
                layout.addWidget(_separator())
            layout.addWidget(widget)
        layout.addWidget(_separator())
        layout.addWidget(_label("<b>Model</b>"))
        layout.addWidget(self.model_label, stretch=1)

    def show_feed(self, feed: FeedStatus, replay: bool = False, paused: bool = False, down: frozenset[str] = frozenset()) -> None:
        down = down | feed.streams_down
        self.rgb_label.setText(stream_text("rgb", feed.rgb, replay, paused, "rgb" in down))
        self.rgb_label.setToolTip(feed.rgb.name + (f"\n{feed.rgb.last_error}" if feed.rgb.last_error else ""))
        self.tir_label.setText(stream_text("tir", feed.tir, replay, paused, "tir" in down))
        self.tir_label.setToolTip(feed.tir.name + (f"\n{feed.tir.last_error}" if feed.tir.last_error else ""))
        self.dropped_label.setText(dropped_text(feed))

    def show_rates(self, inference_fps: float, step_ms: float | None, tracking: bool, display_fps: float) -> None:
        self.inference_label.setText(inference_text(inference_fps, step_ms, tracking))
        self.display_label.setText(display_text(display_fps))

    def show_latency(self, latency_ms: float | None) -> None:
        self.latency_label.setText(latency_text(latency_ms))

"""The status strip's model label shortens from the middle instead of being cut off at the window's edge."""

from __future__ import annotations

from tpmri_live.gui.status_strip import StatusStrip

MODEL = "tpmri-tiny (tpmri-tiny-synth.safetensors) on cpu"


def test_model_label_keeps_both_ends_when_the_strip_is_narrow(qtbot):
    strip = StatusStrip(MODEL)
    qtbot.addWidget(strip)
    strip.resize(3000, 40)
    strip.show()
    qtbot.waitUntil(lambda: strip.model_label.text() == MODEL)
    strip.resize(strip.minimumSizeHint().width() + 160, 40)
    qtbot.waitUntil(lambda: strip.model_label.text() != MODEL)
    shown = strip.model_label.text()
    head, _, tail = shown.partition("…")
    assert len(head) >= 3 and len(tail) >= 3 and MODEL.startswith(head) and MODEL.endswith(tail)
    assert strip.model_label.fontMetrics().horizontalAdvance(shown) <= strip.model_label.width()
    assert strip.model_label.toolTip() == MODEL

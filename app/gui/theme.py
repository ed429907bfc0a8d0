"""A dark Fusion theme: images and thermal palettes read best on a dark surround."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

STYLE_SHEET = """
QWidget { font-size: 10pt; }
QPushButton { padding: 4px 12px; border: 1px solid #4a4a52; border-radius: 4px; background: #34343a; }
QPushButton:hover { background: #3e3e46; }
QPushButton:checked { background: #b71c1c; border-color: #e53935; }
QPushButton:disabled { color: #77777d; }
QComboBox { padding: 2px 8px; }
QLabel#targetState { font-size: 15pt; font-weight: bold; }
QLabel#panelTitle { color: #9e9ea6; font-weight: bold; letter-spacing: 1px; }
QLabel#hint { color: #8d8d95; }
QLabel#message { color: #ffd54f; }
QFrame#targetPanel, QWidget#controls, QWidget#statusStrip, QWidget#replayBar { background: #232328; }
"""


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style with a dark palette and a small style sheet."""
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: QColor(30, 30, 34),
        QPalette.ColorRole.WindowText: QColor(225, 225, 230),
        QPalette.ColorRole.Base: QColor(22, 22, 26),
        QPalette.ColorRole.AlternateBase: QColor(38, 38, 44),
        QPalette.ColorRole.ToolTipBase: QColor(45, 45, 50),
        QPalette.ColorRole.ToolTipText: QColor(230, 230, 230),
        QPalette.ColorRole.Text: QColor(225, 225, 230),
        QPalette.ColorRole.Button: QColor(48, 48, 54),
        QPalette.ColorRole.ButtonText: QColor(225, 225, 230),
        QPalette.ColorRole.Highlight: QColor(79, 195, 247),
        QPalette.ColorRole.HighlightedText: QColor(10, 10, 10),
        QPalette.ColorRole.Link: QColor(79, 195, 247),
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(120, 120, 125))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(120, 120, 125))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)

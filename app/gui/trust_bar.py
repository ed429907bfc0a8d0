"""A two-colour bar that reads at a glance which modality the tracker trusts: RGB on the left, TIR on the right."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

RGB_COLOUR = QColor(79, 195, 247)
TIR_COLOUR = QColor(255, 112, 67)
EMPTY_COLOUR = QColor(60, 60, 66)


class TrustBar(QWidget):
    """Shows alpha (TMR's RGB weight) as 'RGB 63% | 37% TIR'; grey when there is no alpha."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._alpha: float | None = None
        self.setMinimumSize(180, 26)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(240, 28)

    @property
    def alpha(self) -> float | None:
        return self._alpha

    def set_alpha(self, alpha: float | None) -> None:
        self._alpha = alpha if alpha is not None and math.isfinite(alpha) else None
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        if self._alpha is None:
            painter.fillRect(rect, EMPTY_COLOUR)
            painter.setPen(QColor(190, 190, 190))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "RGB  |  TIR")
            return
        split = rect.left() + rect.width() * self._alpha
        painter.fillRect(QRectF(rect.left(), rect.top(), split - rect.left(), rect.height()), RGB_COLOUR)
        painter.fillRect(QRectF(split, rect.top(), rect.right() - split, rect.height()), TIR_COLOUR)
        painter.setPen(QColor(10, 10, 10))
        margin = rect.adjusted(8, 0, -8, 0)
        painter.drawText(margin, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, f"RGB {self._alpha:.0%}")
        painter.drawText(margin, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"{1 - self._alpha:.0%} TIR")

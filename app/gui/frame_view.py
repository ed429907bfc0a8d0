"""One image view: a frame scaled to fit, the tracked box drawn over it, and box selection by mouse.

Drag to draw a box; a single click selects a box of default size around the point; Esc cancels a drag.
Selections are emitted in image pixels of the shown image.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BoxXYWH = tuple[float, float, float, float]

BOX_COLOUR = QColor(0, 230, 118)
UNCERTAIN_COLOUR = QColor(255, 183, 77)
LOST_COLOUR = QColor(255, 82, 82)
STATE_COLOURS = {"tracking": BOX_COLOUR, "uncertain": UNCERTAIN_COLOUR, "lost": LOST_COLOUR}
SELECTION_COLOUR = QColor(255, 214, 0)
BACKGROUND = QColor(18, 18, 20)
# A press and release closer than this (screen pixels) is a click, not a drag.
CLICK_DISTANCE_PX = 6.0


def numpy_to_qimage(image: np.ndarray) -> QImage:
    """A QImage that owns a copy of an (H, W, 3) RGB or (H, W) gray uint8 array."""
    image = np.ascontiguousarray(image)
    height, width = image.shape[:2]
    if image.ndim == 2:
        qimage = QImage(image.data, width, height, image.strides[0], QImage.Format.Format_Grayscale8)
    else:
        qimage = QImage(image.data, width, height, image.strides[0], QImage.Format.Format_RGB888)
    # Qt paints 32-bit premultiplied images directly; any other format is converted on every paint (it cost
    # 30 ms a view per frame, scaled, and held the display well under the cameras' rate).
    return qimage.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


class FrameView(QWidget):
    """Shows one image with the target box; emits `boxSelected(x, y, w, h)` in image pixels.

    Args:
        title: the corner caption ('RGB', 'TIR').
        default_box_px: side of the box a single click selects, in image pixels.
    """

    boxSelected = Signal(float, float, float, float)
    selectionCancelled = Signal()

    def __init__(self, title: str, default_box_px: float = 48.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.default_box_px = default_box_px
        self.last_selection_was_click = False  # the latest boxSelected came from a click, not a drag
        self._image: QImage | None = None
        self._box_xywh: BoxXYWH | None = None
        self._box_caption = ""
        self._box_state = "tracking"
        self._banner = ""
        self._drag_start: QPointF | None = None
        self._drag_end: QPointF | None = None
        self._placeholder = "waiting for frames..."
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMouseTracking(False)

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    # What is shown.

    def set_image(self, image: np.ndarray) -> None:
        self._image = numpy_to_qimage(image)
        self.update()

    def set_box(self, box_xywh: BoxXYWH | None, caption: str = "", state: str = "tracking") -> None:
        """The box and its caption, coloured by the target state ('tracking', 'uncertain' or 'lost')."""
        self._box_xywh = box_xywh
        self._box_caption = caption
        self._box_state = state if state in STATE_COLOURS else "tracking"
        self.update()

    def set_banner(self, text: str) -> None:
        """A line across the middle of the image ('THERMAL STREAM DOWN'), '' for none."""
        if text != self._banner:
            self._banner = text
            self.update()

    @property
    def banner(self) -> str:
        return self._banner

    @property
    def _box_lost(self) -> bool:
        return self._box_state == "lost"

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    @property
    def image_size_wh(self) -> tuple[int, int] | None:
        return None if self._image is None else (self._image.width(), self._image.height())

    @property
    def box_xywh(self) -> BoxXYWH | None:
        return self._box_xywh

    @property
    def selecting(self) -> bool:
        return self._drag_start is not None

    # Geometry between the widget and the image.

    def image_rect(self) -> QRectF:
        """Where the image is drawn inside the widget (aspect kept, centred)."""
        if self._image is None or self._image.width() == 0:
            return QRectF(self.rect())
        scale = min(self.width() / self._image.width(), self.height() / self._image.height())
        width, height = self._image.width() * scale, self._image.height() * scale
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)

    def widget_to_image(self, point: QPointF) -> QPointF:
        rect = self.image_rect()
        scale = rect.width() / self._image.width() if self._image is not None else 1.0
        return QPointF((point.x() - rect.x()) / scale, (point.y() - rect.y()) / scale)

    def image_to_widget(self, point: QPointF) -> QPointF:
        rect = self.image_rect()
        scale = rect.width() / self._image.width() if self._image is not None else 1.0
        return QPointF(rect.x() + point.x() * scale, rect.y() + point.y() * scale)

    def _box_to_widget_rect(self, box_xywh: BoxXYWH) -> QRectF:
        x, y, w, h = box_xywh
        top_left = self.image_to_widget(QPointF(x, y))
        bottom_right = self.image_to_widget(QPointF(x + w, y + h))
        return QRectF(top_left, bottom_right)

    def _clamped_image_point(self, point: QPointF) -> QPointF:
        assert self._image is not None
        image_point = self.widget_to_image(point)
        return QPointF(
            min(max(image_point.x(), 0.0), float(self._image.width())),
            min(max(image_point.y(), 0.0), float(self._image.height())),
        )

    # Selection.

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._image is None:
            super().mousePressEvent(event)
            return
        if not self.image_rect().contains(event.position()):
            return
        self._drag_start = event.position()
        self._drag_end = event.position()
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_start is None:
            return
        self._drag_end = event.position()
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._drag_start is None or self._image is None:
            return
        start, end = self._drag_start, event.position()
        self._drag_start = self._drag_end = None
        self.update()
        distance = (end - start).manhattanLength()
        self.last_selection_was_click = distance < CLICK_DISTANCE_PX
        if self.last_selection_was_click:
            centre = self._clamped_image_point(start)
            side = self.default_box_px
            box = (centre.x() - side / 2, centre.y() - side / 2, side, side)
        else:
            a, b = self._clamped_image_point(start), self._clamped_image_point(end)
            box = (min(a.x(), b.x()), min(a.y(), b.y()), abs(a.x() - b.x()), abs(a.y() - b.y()))
            if box[2] < 2 or box[3] < 2:
                return
        self.boxSelected.emit(*box)

    def cancel_selection(self) -> bool:
        """Drop a drag in progress; True when there was one."""
        if self._drag_start is None:
            return False
        self._drag_start = self._drag_end = None
        self.update()
        self.selectionCancelled.emit()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.cancel_selection():
            return
        super().keyPressEvent(event)

    # Drawing.

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self._image is None:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            self._draw_title(painter)
            return
        rect = self.image_rect()
        # Smooth (bilinear) scaling costs ~15 ms a view in software; near 1:1 nearest pixels look the same.
        scale = rect.width() / max(1, self._image.width())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not 0.6 <= scale <= 1.6)
        painter.drawImage(rect, self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self._box_xywh is not None:
            self._draw_box(painter)
        if self._banner:
            self._draw_banner(painter)
        if self._drag_start is not None and self._drag_end is not None:
            pen = QPen(SELECTION_COLOUR, 2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(self._drag_start, self._drag_end).normalized())
        self._draw_title(painter)

    def _draw_box(self, painter: QPainter) -> None:
        assert self._box_xywh is not None
        colour = STATE_COLOURS[self._box_state]
        rect = self._box_to_widget_rect(self._box_xywh)
        painter.setPen(QPen(colour, 2.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        if not self._box_caption:
            return
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() * 0.95))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        text_w = metrics.horizontalAdvance(self._box_caption) + 10
        text_h = metrics.height() + 4
        # Above the box when there is room, else below it, else inside its top-left corner.
        if rect.top() - text_h >= 0:
            label_y = rect.top() - text_h
        elif rect.bottom() + text_h <= self.height():
            label_y = rect.bottom()
        else:
            label_y = rect.top()  # inside, at the top-right corner, clear of the view's title
            label = QRectF(rect.right() - text_w, label_y, text_w, text_h)
        if label_y != rect.top():
            label = QRectF(max(0.0, rect.left() - 1.25), label_y, text_w, text_h)
        painter.fillRect(label, colour)
        painter.setPen(QColor(0, 0, 0))
        painter.drawText(label, Qt.AlignmentFlag.AlignCenter, self._box_caption)

    def _draw_banner(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        painter.setFont(font)
        rect = self.image_rect()
        band_h = painter.fontMetrics().height() * 2.2
        band = QRectF(rect.left(), rect.center().y() - band_h / 2, rect.width(), band_h)
        painter.fillRect(band, QColor(120, 20, 20, 200))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(band, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._banner)

    def _draw_title(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        rect = self.image_rect() if self._image is not None else QRectF(self.rect())
        label = QRectF(rect.left() + 8, rect.top() + 8, metrics.horizontalAdvance(self.title) + 14, metrics.height() + 6)
        painter.fillRect(label, QColor(0, 0, 0, 160))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(label, Qt.AlignmentFlag.AlignCenter, self.title)

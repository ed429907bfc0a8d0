"""The alpha(t) plot: which modality the tracker trusts right now, and how sure it is of the target.

alpha is TMR's RGB weight (1 = trust RGB, 0 = trust thermal), averaged over the TPI layers; the score is
the peak of the centre map. The x axis is seconds before now, so the newest step sits at the right edge.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from tpmri_live.pipeline.track_history import HistorySnapshot

ALPHA_COLOUR = QColor(79, 195, 247)
SCORE_COLOUR = QColor(255, 183, 77)


def layer_colour(layer: int, layers: int) -> QColor:
    """Per-layer curves from violet (first block) to green (last block)."""
    return pg.intColor(layer, hues=max(layers, 1), minHue=200, maxHue=340, sat=160, alpha=170)


class AlphaPlot(pg.PlotWidget):
    """alpha(t) (mean over layers, per layer on demand) and the score over the last `window_s` seconds."""

    def __init__(self, window_s: float = 20.0, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background=(24, 24, 28))
        self.window_s = window_s
        self._show_layers = False
        self._points = 0
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setLabel("bottom", "seconds ago")
        plot.setLabel("left", "alpha  (1 = RGB, 0 = TIR)")
        plot.setYRange(-0.02, 1.02, padding=0)
        plot.setXRange(-window_s, 0, padding=0)
        plot.addLegend(offset=(-10, 8), labelTextColor=(220, 220, 220), brush=(0, 0, 0, 120))
        midline = pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen((140, 140, 140), width=1, style=Qt.PenStyle.DotLine))
        plot.addItem(midline, ignoreBounds=True)
        self.score_curve = plot.plot(name="score", pen=pg.mkPen(SCORE_COLOUR, width=1.5, style=Qt.PenStyle.DashLine))
        self.alpha_curve = plot.plot(name="alpha (mean)", pen=pg.mkPen(ALPHA_COLOUR, width=2.5))
        self.layer_curves: list[pg.PlotDataItem] = []
        self.setMinimumHeight(150)

    @property
    def points_shown(self) -> int:
        """Samples on the mean alpha curve (tests and the status read it)."""
        return self._points

    @property
    def show_layers(self) -> bool:
        return self._show_layers

    def set_show_layers(self, show: bool) -> None:
        self._show_layers = show
        for curve in self.layer_curves:
            curve.setVisible(show)

    def _ensure_layer_curves(self, layers: int) -> None:
        if len(self.layer_curves) == layers:
            return
        plot = self.getPlotItem()
        for curve in self.layer_curves:
            plot.removeItem(curve)
        self.layer_curves = []
        for layer in range(layers):
            curve = pg.PlotDataItem(pen=pg.mkPen(layer_colour(layer, layers), width=1))
            curve.setVisible(self._show_layers)
            plot.addItem(curve)
            self.layer_curves.append(curve)

    def set_history(self, history: HistorySnapshot, now_s: float | None = None) -> None:
        """Plot a snapshot; times become seconds before `now_s` (default: the newest sample)."""
        if len(history) == 0:
            self.clear_history()
            return
        end_s = float(history.t_s[-1]) if now_s is None else now_s
        t_ago = history.t_s - end_s
        keep = t_ago >= -self.window_s
        t_ago = t_ago[keep]
        alpha = history.alpha_mean[keep]
        self.alpha_curve.setData(t_ago, alpha, connect="finite")
        self.score_curve.setData(t_ago, history.score[keep], connect="finite")
        self._points = int(np.count_nonzero(np.isfinite(alpha)))
        layers = history.alpha_per_layer.shape[1]
        self._ensure_layer_curves(layers)
        if self._show_layers:
            per_layer = history.alpha_per_layer[keep]
            for layer, curve in enumerate(self.layer_curves):
                curve.setData(t_ago, per_layer[:, layer], connect="finite")

    def clear_history(self) -> None:
        self.alpha_curve.setData([], [])
        self.score_curve.setData([], [])
        for curve in self.layer_curves:
            curve.setData([], [])
        self._points = 0

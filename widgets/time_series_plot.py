"""The one plot every live figure uses (the dashboard, the health graphs, pass rate by run, and
the load and deploy panels to come): items created once and fed with `setData`, clipped and
peak-downsampled, 1 px pens, colours from the theme, and a gap where a value is unknown (NaN)
instead of a line drawn across an outage (DESIGN.md, convention 8)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from app.ring_buffer import RingBuffer
from widgets.theme import MARK_PEN, PLOT_BACKGROUND, SERIES_PENS

MAX_MARKS = 200
LEFT_AXIS_PX = 64


class TimeSeriesPlot(pg.PlotWidget):
    def __init__(
        self,
        title: str,
        unit: str,
        series: tuple[str, ...] = ("value",),
        *,
        x_label: str = "",
        dates: bool = False,
        points: bool = False,
        y_range: tuple[float, float] | None = None,
        pan_in_time: bool = False,
        cursor: bool = False,
        legend: bool = False,
    ) -> None:
        super().__init__(axisItems={"bottom": pg.DateAxisItem()} if dates else None)
        self.setTitle(title)
        self.setLabel("left", unit)
        if x_label:
            self.setLabel("bottom", x_label)
        for axis in ("left", "bottom"):
            self.getAxis(axis).enableAutoSIPrefix(False)
        # One width for every value axis, so graphs stacked on a shared time axis line up
        # whatever their figures' widths (1 000 000 tx/s beside 4 peers).
        self.getAxis("left").setWidth(LEFT_AXIS_PX)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=pan_in_time, y=False)  # heights fit themselves
        self.setMinimumHeight(140)
        self.y_range = y_range
        self.curves: list[pg.PlotDataItem] = []
        if legend:  # before the curves, which join it by their names
            self.addLegend(offset=(-4, 4), labelTextSize="8pt")
        for i, name in enumerate(series):
            pen = pg.mkPen(SERIES_PENS[i % len(SERIES_PENS)], width=1)
            extra = {"symbol": "o", "symbolSize": 5} if points else {}
            curve = self.plot(pen=pen, name=name, **extra)
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self.curves.append(curve)
        if y_range is not None:
            self.setYRange(*y_range, padding=0.05)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#888888", style=Qt.PenStyle.DotLine))
        self.cursor.hide()
        if cursor:
            self.addItem(self.cursor, ignoreBounds=True)
        self._ring_version = -1
        self.draws = 0
        self.mark_lines: list[pg.InfiniteLine] = []
        # An empty graph says so instead of drawing axes from 0 to 1 that mean nothing.
        self.empty_text = pg.TextItem("no data yet", color="#888888", anchor=(0.5, 0.5))
        self.empty_text.setParentItem(self.getPlotItem().getViewBox())
        self.getPlotItem().getViewBox().sigResized.connect(self._place_empty_text)
        self.empty = False
        self._set_empty(True)
        self.set_dark(False)

    def _set_empty(self, empty: bool) -> None:
        if empty == self.empty:
            return
        self.empty = empty
        for axis in ("left", "bottom"):
            self.getAxis(axis).setStyle(showValues=not empty)
        self.showGrid(x=not empty, y=not empty, alpha=0.2)
        self.empty_text.setVisible(empty)
        self._place_empty_text()

    def _place_empty_text(self) -> None:
        box = self.getPlotItem().getViewBox().boundingRect()
        self.empty_text.setPos(box.center())

    def set_dark(self, dark: bool) -> None:
        self.setBackground(PLOT_BACKGROUND[dark])

    def show_series(self, x: np.ndarray, *ys: np.ndarray) -> bool:
        """Draw one array per series (NaN: unknown, drawn as a gap); False when every value is
        unknown, so a caller may hide the plot."""
        has_any = False
        top = 0.0
        for curve, y in zip(self.curves, ys, strict=True):
            finite = np.isfinite(y)
            if finite.any():
                has_any = True
                top = max(top, float(y[finite].max()))
            curve.setData(x, y, connect="finite")
        if self.y_range is None and has_any:
            self.setYRange(0, top * 1.15 if top > 0 else 1, padding=0)  # figures read from 0
        self._set_empty(not has_any)
        self.draws += 1
        return has_any

    def set_marks(self, marks: list[tuple[float, str]]) -> None:
        """Vertical lines at these x (deployment steps and verdicts), named in their tooltip
        (labels on the lines would pile up where steps come seconds apart); they do not
        stretch the axis (a mark outside the shown range is simply off screen)."""
        for line in self.mark_lines:
            self.removeItem(line)
        pen = pg.mkPen(MARK_PEN, width=1, style=Qt.PenStyle.DashLine)
        self.mark_lines = []
        for x, text in marks[-MAX_MARKS:]:
            line = pg.InfiniteLine(pos=x, angle=90, pen=pen)
            line.setToolTip(text)
            self.addItem(line, ignoreBounds=True)
            self.mark_lines.append(line)

    def show_ring(self, ring: RingBuffer) -> bool:
        """Draw `ring` if it changed since the last draw."""
        if ring.version == self._ring_version:
            return False
        self._ring_version = ring.version
        self.show_series(*ring.arrays())
        return True

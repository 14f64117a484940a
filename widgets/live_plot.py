"""A small live plot fed from a ring buffer: items made once, setData with numpy arrays."""

from __future__ import annotations

import pyqtgraph as pg

from app.ring_buffer import RingBuffer


class LivePlot(pg.PlotWidget):
    def __init__(self, title: str, unit: str, buffer: RingBuffer, x_label: str = "s") -> None:
        super().__init__()
        self.buffer = buffer
        self._version = -1
        self.setTitle(title)
        self.setLabel("left", unit)
        self.setLabel("bottom", x_label)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setMinimumHeight(150)
        for axis in ("left", "bottom"):
            self.getAxis(axis).enableAutoSIPrefix(False)
        self.curve = self.plot(pen=pg.mkPen("#3d7bd9", width=1))
        self.curve.setClipToView(True)
        self.curve.setDownsampling(auto=True, method="peak")
        self.setClipToView(True)
        self.draws = 0

    def redraw(self) -> bool:
        """Draw the buffer if it changed since the last draw."""
        if self.buffer.version == self._version:
            return False
        self._version = self.buffer.version
        x, y = self.buffer.arrays()
        self.curve.setData(x, y)
        if len(y):
            top = float(y.max())
            self.setYRange(0, top * 1.1 if top > 0 else 1, padding=0)  # figures read from 0
        self.draws += 1
        return True

"""Dashboard: headline figures and four live graphs of the active node."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from app.services.dashboard_service import DashboardService
from widgets.time_series_plot import TimeSeriesPlot

REDRAW_MS = 250

FIGURES = (
    ("height", "Height"),
    ("blocksPerMinute", "Blocks / min"),
    ("txPerSecond", "Tx / s"),
    ("mempool", "Mempool"),
    ("averageBlockTime", "Avg block time"),
)


def _format(key: str, value: Any) -> str:
    if value is None or (key == "height" and value < 0):
        return "—"
    if key == "averageBlockTime":
        return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}"


class DashboardPanel(QWidget):
    def __init__(self, dashboard: DashboardService) -> None:
        super().__init__()
        self.dashboard = dashboard
        self.values: dict[str, QLabel] = {}
        figures = QGridLayout()
        for column, (key, title) in enumerate(FIGURES):
            card = QFrame()
            card.setObjectName("figureCard")
            card_layout = QVBoxLayout(card)
            name = QLabel(title)
            name.setObjectName("figureName")
            value = QLabel("—")
            value.setObjectName("figureValue")
            card_layout.addWidget(name)
            card_layout.addWidget(value)
            self.values[key] = value
            figures.addWidget(card, 0, column)
        self.plots = [
            (TimeSeriesPlot("Transactions per second", "tx/s", x_label="s"), dashboard.tx_rate),
            (TimeSeriesPlot("Block time", "s", x_label="height"), dashboard.block_times),
            (TimeSeriesPlot("Node CPU (embedded devnet)", "%", x_label="s"), dashboard.cpu),
            (TimeSeriesPlot("Node memory (embedded devnet)", "MiB", x_label="s"), dashboard.memory),
        ]
        graphs = QGridLayout()
        for i, (plot, _ring) in enumerate(self.plots):
            graphs.addWidget(plot, i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.addLayout(figures)
        layout.addLayout(graphs, 1)
        dashboard.figuresChanged.connect(self.show_figures)
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self._timer.start()

    def show_figures(self, figures: dict[str, Any]) -> None:
        for key, label in self.values.items():
            label.setText(_format(key, figures.get(key)))

    def redraw(self) -> None:
        if self.isVisible():
            for plot, ring in self.plots:
                plot.show_ring(ring)

    def stop(self) -> None:
        self._timer.stop()

    def set_dark(self, dark: bool) -> None:
        for plot, _ring in self.plots:
            plot.set_dark(dark)

"""A load run's figures over its seconds, on one time axis: throughput, latency, inclusion and
users. Fed the run's ticks (live, or a stored run's); a second without a figure is a gap."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import QGridLayout, QWidget

from widgets.time_series_plot import TimeSeriesPlot


def column(ticks: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if t.get(key) is None else float(t[key]) for t in ticks], dtype=float)


class LoadCharts(QWidget):
    def __init__(self) -> None:
        super().__init__()
        common: dict[str, Any] = {"x_label": "s", "legend": True}
        self.throughput = TimeSeriesPlot(
            "Throughput", "/s", ("requests", "failures", "included tx"), **common
        )
        self.latency = TimeSeriesPlot("Latency", "ms", ("p50", "p95", "p99"), **common)
        self.inclusion = TimeSeriesPlot(
            "Inclusion and block delivery", "ms", ("inclusion p95", "block lag p95"), **common
        )
        self.users = TimeSeriesPlot("Users", "", ("users",), x_label="s")
        self.plots = (self.throughput, self.latency, self.inclusion, self.users)
        for plot in self.plots[1:]:
            plot.setXLink(self.throughput)  # one time axis
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for i, plot in enumerate(self.plots):
            layout.addWidget(plot, i // 2, i % 2)

    def show_ticks(self, ticks: list[dict[str, Any]]) -> None:
        t = column(ticks, "t")
        self.throughput.show_series(
            t, column(ticks, "rps"), column(ticks, "failures_s"), column(ticks, "included")
        )
        self.latency.show_series(
            t, column(ticks, "p50"), column(ticks, "p95"), column(ticks, "p99")
        )
        self.inclusion.show_series(t, column(ticks, "inclusion_p95"), column(ticks, "lag_p95"))
        self.users.show_series(t, column(ticks, "users"))

    def set_dark(self, dark: bool) -> None:
        for plot in self.plots:
            plot.set_dark(dark)


class LoadComparison(QWidget):
    """Two runs' curves overlaid: requests a second and p95 latency, by second of the run."""

    def __init__(self) -> None:
        super().__init__()
        self.throughput = TimeSeriesPlot(
            "Requests", "/s", ("older", "newer"), x_label="s", legend=True
        )
        self.latency = TimeSeriesPlot(
            "Latency p95", "ms", ("older", "newer"), x_label="s", legend=True
        )
        self.latency.setXLink(self.throughput)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.throughput, 0, 0)
        layout.addWidget(self.latency, 0, 1)

    def show_runs(self, older: list[dict[str, Any]], newer: list[dict[str, Any]]) -> None:
        length = max(len(older), len(newer))
        t = np.arange(length, dtype=float)

        def padded(ticks: list[dict[str, Any]], key: str) -> np.ndarray:
            values = column(ticks, key)
            return np.concatenate([values, np.full(length - len(values), np.nan)])

        self.throughput.show_series(t, padded(older, "rps"), padded(newer, "rps"))
        self.latency.show_series(t, padded(older, "p95"), padded(newer, "p95"))

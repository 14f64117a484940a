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
        self.marks: list[tuple[float, str]] = []
        self._ticks: list[dict[str, Any]] = []
        common: dict[str, Any] = {"x_label": "s", "legend": True}
        self.throughput = TimeSeriesPlot(
            "Throughput", "/s", ("requests", "failures", "included tx"), **common
        )
        self.latency = TimeSeriesPlot("Latency", "ms", ("p50", "p95", "p99"), **common)
        self.inclusion = TimeSeriesPlot(
            "Inclusion and blocks",
            "ms",
            ("inclusion p95", "block lag p95", "node block time"),
            **common,
        )
        self.users = TimeSeriesPlot("Users", "", ("users",), x_label="s")
        # The target node's own figures (its health history, when the fleet watches it).
        self.node_mempool = TimeSeriesPlot("Target node: mempool", "tx", ("mempool",), x_label="s")
        self.node_cpu = TimeSeriesPlot("Target node: CPU", "%", ("cpu",), x_label="s")
        self.plots = (
            self.throughput,
            self.latency,
            self.inclusion,
            self.users,
            self.node_mempool,
            self.node_cpu,
        )
        for plot in self.plots[1:]:
            plot.setXLink(self.throughput)  # one time axis
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for i, plot in enumerate(self.plots):
            layout.addWidget(plot, i // 2, i % 2)

    def show_ticks(
        self, ticks: list[dict[str, Any]], node: dict[str, np.ndarray] | None = None
    ) -> None:
        """The run's seconds, and the target node's figures over them where known."""
        self._ticks = ticks
        if self.marks:
            self.set_marks(self.marks)
        t = column(ticks, "t")
        self.throughput.show_series(
            t, column(ticks, "rps"), column(ticks, "failures_s"), column(ticks, "included")
        )
        self.latency.show_series(
            t, column(ticks, "p50"), column(ticks, "p95"), column(ticks, "p99")
        )
        block_time = np.full(len(t), np.nan)
        if node is not None:  # the node's seconds onto the run's
            index = {int(s): i for i, s in enumerate(node["t"])}
            for i, second in enumerate(t):
                if int(second) in index:
                    block_time[i] = node["block_time_ms"][index[int(second)]]
        self.inclusion.show_series(
            t, column(ticks, "inclusion_p95"), column(ticks, "lag_p95"), block_time
        )
        self.users.show_series(t, column(ticks, "users"))
        empty = np.zeros(0)
        node_t = node["t"] if node is not None else empty
        self.node_mempool.show_series(node_t, node["mempool"] if node is not None else empty)
        self.node_cpu.show_series(node_t, node["cpu_pct"] if node is not None else empty)

    def set_dark(self, dark: bool) -> None:
        for plot in self.plots:
            plot.set_dark(dark)

    def set_marks(self, marks: list[tuple[float, str]]) -> None:
        """Deployment moments (epoch s) on the run's clock, those during the run only."""
        self.marks = marks
        ticks = self._ticks
        if not ticks or not ticks[0].get("at"):
            shown: list[tuple[float, str]] = []
        else:
            offset = float(ticks[0]["at"]) - float(ticks[0]["t"])
            first, last = float(ticks[0]["at"]), float(ticks[-1]["at"]) + 1
            shown = [(t - offset, text) for t, text in marks if first <= t <= last]
        for plot in self.plots:
            plot.set_marks(shown)


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

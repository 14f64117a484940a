"""Health graphs of one node or this host: CPU, memory, latency, block time, tx/s, mempool,
peers and lag, over 5 min / 1 h / 24 h / 7 d. The graphs share one time axis: wheel-zoom or drag
one and all follow; hovering shows every figure at that instant; Home returns to live."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.health.series import HOST, METRICS, RING_S
from app.services.health_service import HealthService
from widgets.time_series_plot import TimeSeriesPlot

RANGES = (("5 min", 300), ("1 h", 3600), ("24 h", 86400), ("7 d", 7 * 86400))
# Title, unit, the metrics drawn (two curves on the latency graph).
GRAPHS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("CPU", "%", ("cpu_pct",)),
    ("Memory", "MiB", ("mem_mb",)),
    ("Latency p50 / p95", "ms", ("latency_p50", "latency_p95")),
    ("Block time", "s", ("block_time",)),
    ("Transactions", "tx/s", ("tx_per_s",)),
    ("Mempool", "tx", ("mempool",)),
    ("Peers", "", ("peers",)),
    ("Behind the best", "blocks", ("behind",)),
)
LONG_REFRESH_S = 60  # the one-minute history changes once a minute


HOVER_HINT = "Hover a graph to read its figures; wheel to zoom, drag to pan."


class HealthGraph(TimeSeriesPlot):
    def __init__(self, title: str, unit: str, metrics: tuple[str, ...]) -> None:
        super().__init__(title, unit, metrics, dates=True, pan_in_time=True, cursor=True)
        self.metrics = metrics
        self.columns = [METRICS.index(m) for m in metrics]

    def show_data(self, t: np.ndarray, values: np.ndarray) -> bool:
        """Draw; False when this node has no figure for this graph (it is then hidden). An
        unknown value (the node down, a metric it lacks) is a gap, not a line across it."""
        columns = values[:, self.columns] if len(values) else np.zeros((0, len(self.columns)))
        return self.show_series(t, *columns.T)


class HealthPanel(QWidget):
    def __init__(self, health: HealthService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.health = health
        self.range_s = RANGES[0][1]
        self.following = True  # the time axis tracks now until the user zooms or pans
        self.t = np.zeros(0)
        self.marks: list[tuple[float, str]] = []  # deployment moments (epoch s, what)
        self.values = np.zeros((0, len(METRICS)))
        self._seen_version = -1
        self._long_age = LONG_REFRESH_S

        self.node = QComboBox()
        self.node.setMinimumWidth(260)
        self.node.setToolTip("Whose health to show")
        self.node.addItem(HOST)
        self.range_buttons = QButtonGroup(self)
        self.range_buttons.setExclusive(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Node:"))
        top.addWidget(self.node)
        top.addSpacing(12)
        for i, (label, seconds) in enumerate(RANGES):
            button = QPushButton(label)
            button.setCheckable(True)
            button.setChecked(i == 0)
            button.setToolTip(f"Last {label} (Alt+{i + 1})")
            button.setShortcut(QKeySequence(f"Alt+{i + 1}"))
            self.range_buttons.addButton(button, seconds)
            top.addWidget(button)
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Back to the whole range, following now (Home)")
        self.png_button = QPushButton("Export PNG…")
        self.csv_button = QPushButton("Export CSV…")
        top.addSpacing(12)
        for button in (self.live_button, self.png_button, self.csv_button):
            top.addWidget(button)
        top.addStretch(1)
        self._hover_x: float | None = None  # where the cursor was put, kept as data arrives
        self._hover_live = False  # the hover line shows figures (not a message) to keep fresh
        self.hover = QLabel(HOVER_HINT)
        self.hover.setObjectName("healthHover")
        self.hover.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.canvas = QWidget()
        grid = QGridLayout(self.canvas)
        grid.setContentsMargins(0, 0, 0, 0)
        self.graphs = [HealthGraph(title, unit, metrics) for title, unit, metrics in GRAPHS]
        for i, graph in enumerate(self.graphs):
            grid.addWidget(graph, i // 2, i % 2)
            if i:
                graph.setXLink(self.graphs[0])
            graph.scene().sigMouseMoved.connect(lambda pos, g=graph: self._hovered(g, pos))
        self.graphs[0].getViewBox().sigRangeChangedManually.connect(self._user_moved)
        for graph in self.graphs[1:]:
            graph.getViewBox().sigRangeChangedManually.connect(self._user_moved)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.hover)
        layout.addWidget(self.canvas, 1)

        self.node.currentTextChanged.connect(self._node_chosen)
        self.range_buttons.idClicked.connect(self.set_range)
        self.live_button.clicked.connect(self.go_live)
        self.png_button.clicked.connect(lambda: self._ask_path("PNG image (*.png)", "png"))
        self.csv_button.clicked.connect(lambda: self._ask_path("CSV (*.csv)", "csv"))
        QShortcut(QKeySequence("Home"), self, self.go_live)
        health.sampled.connect(self._sampled)

    def set_dark(self, dark: bool) -> None:
        for graph in self.graphs:
            graph.set_dark(dark)

    def set_marks(self, marks: list[tuple[float, str]]) -> None:
        """Deployment moments on every graph; the hover line names the ones near the cursor."""
        self.marks = marks
        for graph in self.graphs:
            graph.set_marks(marks)

    # -- choosing -----------------------------------------------------------------------------
    def selected(self) -> str:
        return self.node.currentText() or HOST

    def _fill_nodes(self) -> None:
        names = self.health.nodes()
        if names != [self.node.itemText(i) for i in range(self.node.count())]:
            chosen = self.selected()
            self.node.blockSignals(True)
            self.node.clear()
            self.node.addItems(names)
            self.node.setCurrentText(chosen if chosen in names else HOST)
            self.node.blockSignals(False)

    def _node_chosen(self, _name: str) -> None:
        """Nothing of the last node stays on screen: its hover line and cursor go."""
        self._hover_x = None
        for graph in self.graphs:
            graph.cursor.hide()
        self.hover.setText(HOVER_HINT)
        self.refresh(force=True)

    def show_node(self, name: str) -> None:
        self._fill_nodes()
        self.node.setCurrentText(name)

    def set_range(self, seconds: int) -> None:
        self.range_s = seconds
        button = self.range_buttons.button(seconds)
        if button is not None and not button.isChecked():
            button.setChecked(True)
        self.go_live()

    def go_live(self) -> None:
        self.following = True
        self.refresh(force=True)

    def _user_moved(self, *_args: Any) -> None:
        self.following = False

    # -- drawing ------------------------------------------------------------------------------
    def _sampled(self) -> None:
        self._fill_nodes()
        if not self.isVisible():
            return  # a hidden tab costs nothing; showing it redraws
        self._long_age += 1
        if self.range_s <= RING_S or self._long_age >= LONG_REFRESH_S:
            self.refresh()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._fill_nodes()
        self.refresh(force=True)

    @asyncSlot()
    async def refresh(self, force: bool = False) -> None:
        node, range_s = self.selected(), self.range_s
        history = self.health.histories.get(node)
        unchanged = history is not None and history.version == self._seen_version
        if range_s <= RING_S and not force and unchanged:
            return
        self._seen_version = history.version if history is not None else -1
        self._long_age = 0
        t, values = await self.health.series(node, range_s)
        if (node, range_s) != (self.selected(), self.range_s):
            return  # the user moved on while the history was read
        self.draw(t, values)

    def draw(self, t: np.ndarray, values: np.ndarray) -> None:
        self.t, self.values = t, values
        for graph in self.graphs:
            graph.setVisible(graph.show_data(t, values))
        if self._hover_x is not None and len(t) and self._hover_live:
            self._put_cursor(self._hover_x)  # the figures under the cursor follow new samples
        if self.following:
            now = float(t[-1]) if len(t) else dt.datetime.now().timestamp()
            self.graphs[0].setXRange(now - self.range_s, now, padding=0)

    def _hovered(self, graph: HealthGraph, pos: Any) -> None:
        if not len(self.t) or not graph.sceneBoundingRect().contains(pos):
            return
        self._hover_x = graph.getViewBox().mapSceneToView(pos).x()
        self._hover_live = True
        self._put_cursor(self._hover_x)

    def _say(self, text: str) -> None:
        """A message in the hover line (an export's result) stays until the mouse moves again."""
        self._hover_live = False
        self.hover.setText(text)

    def _put_cursor(self, x: float) -> None:
        i = int(np.clip(np.searchsorted(self.t, x), 0, len(self.t) - 1))
        for g in self.graphs:
            g.cursor.setPos(self.t[i])
            g.cursor.show()
        self.hover.setText(self.describe(i))

    def describe(self, i: int) -> str:
        """Every figure at sample i, as the hover line shows it."""
        when = dt.datetime.fromtimestamp(self.t[i]).strftime("%Y-%m-%d %H:%M:%S")
        parts = [self.selected(), when]
        if self.values[i, METRICS.index("up")] == 0:
            parts.append("down: the node did not answer")
        for title, unit, metrics in GRAPHS:
            figures = [self.values[i, METRICS.index(m)] for m in metrics]
            if all(np.isnan(f) for f in figures):
                continue
            shown = " / ".join("—" if np.isnan(f) else f"{f:,.4g}" for f in figures)
            parts.append(f"{title} {shown} {unit}".strip())
        step = float(np.median(np.diff(self.t))) if len(self.t) > 1 else 1.0
        near = [text for at, text in self.marks if abs(at - self.t[i]) <= max(step, 1.0)]
        if near:
            parts.append("deploy: " + ", ".join(near))
        return " · ".join(parts)

    # -- export -------------------------------------------------------------------------------
    def _ask_path(self, kind: str, suffix: str) -> QFileDialog:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        default = f"chaindeck-health-{self.selected().replace(' ', '_')}-{stamp}.{suffix}"
        dialog = QFileDialog(self, f"Export {suffix.upper()}", str(Path.home() / default), kind)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffix)
        dialog.fileSelected.connect(
            lambda path: (
                self.export_png(Path(path)) if suffix == "png" else self.export_csv(Path(path))
            )
        )
        dialog.open()
        return dialog

    def export_png(self, path: Path) -> None:
        if not self.canvas.grab().save(str(path), "PNG"):
            self._say(f"Could not write {path}")
            return
        self._say(f"Saved {path}")

    @asyncSlot(object)
    async def export_csv(self, path: Path) -> None:
        """The samples of the range on screen, one row per instant (the health service writes
        the file, off the window's thread)."""
        self._say(await self.health.export_csv(path, self.selected(), self.t, self.values))

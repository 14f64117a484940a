"""A deployment drawn from its timeline (app/deploy/timeline.py): a grid of nodes by steps,
every gate verdict with the figures that decided it, and the log of the step chosen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.deploy.timeline import Timeline
from widgets.theme import STATUS_COLOURS


def _colour(text: str) -> str | None:
    if "FAILED" in text or "✗" in text:
        return STATUS_COLOURS["failed"]
    if "done" in text:
        return STATUS_COLOURS["passed"] if "rollback" not in text else STATUS_COLOURS["aborted"]
    return None


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


class TimelineView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.timeline = Timeline()
        self._drawn = -1
        self.title = QLabel("No deployment chosen: run a plan, or pick one in the history.")
        self.title.setWordWrap(True)
        self.grid = _table([])
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.gates = _table(["Step", "Gate", "Node", "Verdict", "What decided it"])
        self.gates.horizontalHeader().setStretchLastSection(True)
        self.gates.verticalHeader().setVisible(False)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setFont(QFont("monospace"))
        self.log.setPlaceholderText("Choose a step (a column) to read its log; none: every step")
        self.grid.currentCellChanged.connect(lambda *_: self._show_log())
        split = QSplitter(Qt.Orientation.Vertical)
        for widget in (self.grid, self.gates, self.log):
            split.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(split, 1)

    def show_timeline(self, timeline: Timeline) -> None:
        if timeline is self.timeline and timeline.version == self._drawn:
            return
        self.timeline, self._drawn = timeline, timeline.version
        t = timeline
        status = t.status.replace("_", " ")
        self.title.setText(
            f"<b>{t.plan}</b> on {t.cluster} ({t.strategy}): {status}"
            + (f" — {t.summary['reason']}" if t.summary and t.summary.get("reason") else "")
        )
        self.grid.setColumnCount(len(t.columns))
        self.grid.setHorizontalHeaderLabels(t.columns)
        self.grid.setRowCount(len(t.nodes))
        self.grid.setVerticalHeaderLabels(t.nodes)
        for row, node in enumerate(t.nodes):
            for column in range(len(t.columns)):
                text = t.cell(node, column)
                item = QTableWidgetItem(text)
                colour = _colour(text)
                if colour:
                    item.setForeground(QBrush(QColor(colour)))
                self.grid.setItem(row, column, item)
        self.gates.setRowCount(len(t.gates))
        for row, gate in enumerate(t.gates):
            step = t.columns[gate.step] if gate.step < len(t.columns) else str(gate.step + 1)
            cells = (step, gate.gate, gate.node, gate.status, gate.detail)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 3:
                    item.setForeground(QBrush(QColor(STATUS_COLOURS.get(text, "#000"))))
                self.gates.setItem(row, column, item)
        self.gates.scrollToBottom()
        self._show_log()

    def _show_log(self) -> None:
        column = self.grid.currentColumn()
        lines = self.timeline.log_of(column if column >= 0 else None)
        self.log.setPlainText("\n".join(lines))
        self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())

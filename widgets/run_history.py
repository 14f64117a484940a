"""The history of runs of one kind, newest first: one row a run, the status in words and its
colour, several rows selectable (compare). The Tests panel shows test runs with it; load runs
and deployments get their own columns and the same table."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from widgets.theme import NEUTRAL, STATUS_COLOURS

Column = tuple[str, Callable[[dict[str, Any]], str]]


def started(run: dict[str, Any]) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(run["started"]))


def target(run: dict[str, Any]) -> str:
    return str(run["target_name"] or run["target_url"])


def status(run: dict[str, Any]) -> str:
    return str(run["status"]).lower()


COMMON_START: tuple[Column, ...] = (
    ("#", lambda r: str(r["id"])),
    ("Started", started),
    ("Target", target),
)


class RunHistoryTable(QTableWidget):
    selectedRunsChanged = Signal(object)  # the ids of the selected runs, oldest row first

    def __init__(self, columns: Sequence[Column]) -> None:
        super().__init__(0, len(columns))
        self.columns = list(columns)
        self.runs: list[dict[str, Any]] = []
        self.setHorizontalHeaderLabels([title for title, _ in self.columns])
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.itemSelectionChanged.connect(
            lambda: self.selectedRunsChanged.emit(self.selected_ids())
        )

    def set_runs(self, runs: list[dict[str, Any]]) -> None:
        """Show these runs, newest first; the runs chosen stay chosen as new ones arrive."""
        chosen = set(self.selected_ids())
        self.runs = runs
        self.blockSignals(True)
        self.clearSelection()
        self.setRowCount(len(runs))
        for row, run in enumerate(runs):
            for column, (title, text_of) in enumerate(self.columns):
                cell = QTableWidgetItem(text_of(run))
                cell.setData(Qt.ItemDataRole.UserRole, run["id"])
                if title == "Status":
                    colour = STATUS_COLOURS.get(run["status"], NEUTRAL)
                    cell.setForeground(QBrush(QColor(colour)))
                self.setItem(row, column, cell)
            if run["id"] in chosen:
                self.selectionModel().select(
                    self.model().index(row, 0),
                    QItemSelectionModel.SelectionFlag.Select
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
        self.blockSignals(False)

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.selectedIndexes()})
        return [self.runs[r]["id"] for r in rows if r < len(self.runs)]

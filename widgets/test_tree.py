"""The tests of one run as a live tree (file → test), each with its outcome, colour and time;
the detail of a chosen test (failure, traceback, captured output) in text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from app.test_results import RunTally
from widgets.theme import STATUS_COLOURS


class TestTree(QTreeWidget):
    __test__ = False

    def __init__(self) -> None:
        super().__init__()
        self.setHeaderLabels(["Test", "Outcome", "Time"])
        self.setUniformRowHeights(True)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.results: dict[str, dict[str, Any]] = {}
        self.by_id: dict[str, QTreeWidgetItem] = {}
        self.tally = RunTally()

    def start_over(self) -> None:
        self.clear()
        self.by_id.clear()
        self.results.clear()
        self.tally = RunTally()

    def collected(self, nodeids: list[str]) -> None:
        self.tally.collected(nodeids)
        for nodeid in nodeids:
            self._item(nodeid, "queued")

    def add_result(self, result: dict[str, Any]) -> None:
        self.results[result["nodeid"]] = result
        self.tally.add(result)
        item = self._item(result["nodeid"], result["outcome"])
        item.setText(2, f"{result['duration']:.2f} s")
        if result["message"]:
            item.setToolTip(1, result["message"])
        if result["outcome"] in ("failed", "error") and item.parent() is not None:
            item.parent().setExpanded(True)
            item.parent().setForeground(0, QBrush(QColor(STATUS_COLOURS["failed"])))

    def any_failed(self) -> bool:
        return any(r["outcome"] in ("failed", "error") for r in self.results.values())

    def _item(self, nodeid: str, outcome: str) -> QTreeWidgetItem:
        item = self.by_id.get(nodeid)
        if item is None:
            path, _, name = nodeid.partition("::")
            group = self.by_id.get(path)
            if group is None:
                group = QTreeWidgetItem(self, [path])
                self.by_id[path] = group
            item = QTreeWidgetItem(group, [name or path])
            item.setData(0, Qt.ItemDataRole.UserRole, nodeid)
            self.by_id[nodeid] = item
        item.setText(1, outcome)
        item.setForeground(1, QBrush(QColor(STATUS_COLOURS[outcome])))
        return item

    def detail(self, item: QTreeWidgetItem | None) -> str:
        """What the detail pane shows for `item`: empty for a file or a test not yet run."""
        nodeid = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        result = self.results.get(nodeid) if nodeid else None
        if result is None:
            return ""
        parts = [f"{result['nodeid']}: {result['outcome']} in {result['duration']:.2f} s"]
        for key in ("message", "longrepr", "output"):
            if result.get(key):
                parts.append(result[key])
        return "\n\n".join(parts)

    def counts_text(self) -> str:
        c = self.tally.counts
        return (
            f"{self.tally.done} of {self.tally.total}: {c['passed']} passed · {c['failed']} "
            f"failed · {c['error']} errors · {c['skipped']} skipped · {c['n/a']} n/a"
        )

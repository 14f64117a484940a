"""Tests: choose suites and a target, run, watch the live tree, read a failure, re-run the
failed ones, cancel; the history of runs with their pass rate, and a compare of two runs."""

from __future__ import annotations

import time
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.services.test_run_service import TestRunService
from app.test_results import RunTally

COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "error": "#ad1457",
    "skipped": "#8a8a8a",
    "n/a": "#8a8a8a",
    "queued": "#8a8a8a",
    "SUCCEEDED": "#2e7d32",
    "FAILED": "#c62828",
    "CANCELLED": "#b26a00",
    "INTERRUPTED": "#b26a00",
    "RUNNING": "#3d7bd9",
}
HISTORY_COLUMNS = ("#", "Started", "Target", "Suites", "Status", "Passed", "Failed", "Pass rate")


def pass_rate(run: dict[str, Any]) -> float | None:
    ran = run["passed"] + run["failed"] + run["errors"]
    return 100.0 * run["passed"] / ran if ran else None


class TestsPanel(QWidget):
    __test__ = False

    def __init__(self, tests: TestRunService) -> None:
        super().__init__()
        self.tests = tests
        self.run_id: int | None = None  # the run the tree shows
        self.results: dict[str, dict[str, Any]] = {}
        self.items: dict[str, QTreeWidgetItem] = {}
        self.tally = RunTally()
        self.history: list[dict[str, Any]] = []

        self.suites = QListWidget()
        self.suites.setMaximumHeight(90)
        self.suites.setToolTip("Suites to run: bundled ones and your own pytest folders")
        self.add_folder = QPushButton("Add folder…")
        self.add_folder.clicked.connect(self.choose_folder)
        self.target = QComboBox()
        self.target.setMinimumWidth(200)
        self.target.setToolTip("The node to test")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run the chosen suites (F5)")
        self.rerun_button = QPushButton("Re-run failed")
        self.rerun_button.setToolTip("Run only the tests that failed in the run shown (Ctrl+F5)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the run and everything it started (Shift+F5)")
        self.run_button.clicked.connect(self.run)
        self.rerun_button.clicked.connect(self.rerun_failed)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.counts = QLabel("No run yet")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828")

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Test", "Outcome", "Time"])
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.tree.currentItemChanged.connect(lambda item, _old: self.show_detail(item))
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setFont(QFont("monospace"))
        self.detail.setPlaceholderText("Choose a test to read its failure and captured output")

        self.history_table = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history_table.setHorizontalHeaderLabels(HISTORY_COLUMNS)
        self.history_table.verticalHeader().setVisible(False)
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.history_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.history_table.itemSelectionChanged.connect(self._history_selected)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Select two runs: what newly fails and newly passes")
        self.compare_button.clicked.connect(self.compare)
        self.rate_plot = pg.PlotWidget()
        self.rate_plot.setTitle("Pass rate by run")
        self.rate_plot.setBackground(None)  # the theme's, like the rest of the panel
        self.rate_plot.setLabel("bottom", "run (oldest → newest)")
        for axis in ("left", "bottom"):
            self.rate_plot.getAxis(axis).enableAutoSIPrefix(False)
        self.rate_plot.setLabel("left", "%")
        self.rate_plot.setMenuEnabled(False)
        self.rate_plot.setMouseEnabled(x=False, y=False)
        self.rate_plot.setYRange(0, 100, padding=0.05)
        self.rate_plot.setMaximumHeight(160)
        self.rate_curve = self.rate_plot.plot(
            pen=pg.mkPen("#3d7bd9", width=1), symbol="o", symbolSize=5
        )

        controls = QHBoxLayout()
        suites_box = QVBoxLayout()
        suites_box.addWidget(QLabel("Suites"))
        suites_box.addWidget(self.suites)
        suites_box.addWidget(self.add_folder)
        controls.addLayout(suites_box, 1)
        run_box = QVBoxLayout()
        target_row = QHBoxLayout()
        target_row.addWidget(QLabel("Target"))
        target_row.addWidget(self.target, 1)
        run_box.addLayout(target_row)
        buttons = QHBoxLayout()
        for button in (self.run_button, self.rerun_button, self.cancel_button):
            buttons.addWidget(button)
        run_box.addLayout(buttons)
        run_box.addWidget(self.progress)
        run_box.addWidget(self.counts)
        run_box.addWidget(self.message)
        controls.addLayout(run_box, 2)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.detail)
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_row = QHBoxLayout()
        history_row.addWidget(QLabel("History"))
        history_row.addStretch(1)
        history_row.addWidget(self.compare_button)
        history_layout.addLayout(history_row)
        history_layout.addWidget(self.history_table, 1)
        history_layout.addWidget(self.rate_plot)
        right.addWidget(history)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.tree)
        body.addWidget(right)
        body.setSizes([600, 500])
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(body, 1)

        for keys, slot in (
            ("F5", self.run),
            ("Ctrl+F5", self.rerun_failed),
            ("Shift+F5", self.cancel),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        tests.runStarted.connect(self._run_started)
        tests.testsCollected.connect(self._collected)
        tests.resultAdded.connect(self._result)
        tests.runFinished.connect(self._run_finished)
        tests.runRefused.connect(self.message.setText)
        tests.connections.profilesChanged.connect(lambda _p: self.fill_targets())
        tests.fleet.clustersChanged.connect(lambda _c: self.fill_targets())
        self.fill_suites()
        self.fill_targets()
        self._update_buttons()

    # -- choices -------------------------------------------------------------------------------
    def fill_suites(self) -> None:
        checked = set(self.chosen_suites()) or {"conformance", "e2e"}
        self.suites.clear()
        for name in self.tests.suite_choices():
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked
            )
            self.suites.addItem(item)

    def fill_targets(self) -> None:
        current = self.target.currentText()
        self.target.clear()
        self.target.addItems(self.tests.target_names())
        if current:
            self.target.setCurrentText(current)

    def chosen_suites(self) -> list[str]:
        return [
            self.suites.item(i).text()
            for i in range(self.suites.count())
            if self.suites.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_suites(self, names: list[str]) -> None:
        for i in range(self.suites.count()):
            item = self.suites.item(i)
            state = Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked
            item.setCheckState(state)

    def choose_folder(self) -> None:
        dialog = QFileDialog(self, "A folder of pytest tests")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(self.add_suite_folder)
        dialog.open()

    def add_suite_folder(self, folder: str) -> None:
        if self.tests.add_suite_folder(folder):
            self.fill_suites()
            self.set_suites([*self.chosen_suites(), str(folder)])

    # -- running -------------------------------------------------------------------------------
    def run(self) -> None:
        self.message.clear()
        self.tests.start(self.chosen_suites(), [self.target.currentText()])

    @asyncSlot()
    async def rerun_failed(self) -> None:
        if self.run_id is not None:
            self.message.clear()
            await self.tests.rerun_failed(self.run_id)

    @asyncSlot()
    async def cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        await self.tests.cancel(self.run_id)

    def _update_buttons(self) -> None:
        running = self.run_id in self.tests.jobs
        self.cancel_button.setEnabled(running)
        failed = any(r["outcome"] in ("failed", "error") for r in self.results.values())
        self.rerun_button.setEnabled(not running and failed)
        self.compare_button.setEnabled(len(self._selected_runs()) == 2)

    def _run_started(self, run: dict[str, Any]) -> None:
        self._show_run(run["id"])
        self.counts.setText(f"Run #{run['id']} on {run['target_name']}: starting…")
        self._update_buttons()

    def _show_run(self, run_id: int) -> None:
        self.run_id = run_id
        self.tree.clear()
        self.items.clear()
        self.results.clear()
        self.tally = RunTally()
        self.detail.clear()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)

    def _collected(self, run_id: int, nodeids: list[str]) -> None:
        if run_id != self.run_id:
            return
        self.tally.collected(nodeids)
        self.progress.setRange(0, max(1, len(nodeids)))
        for nodeid in nodeids:
            self._item(nodeid, "queued")
        self._show_counts()

    def _item(self, nodeid: str, outcome: str) -> QTreeWidgetItem:
        item = self.items.get(nodeid)
        if item is None:
            path, _, name = nodeid.partition("::")
            group = self.items.get(path)
            if group is None:
                group = QTreeWidgetItem(self.tree, [path])
                self.items[path] = group
            item = QTreeWidgetItem(group, [name or path])
            item.setData(0, Qt.ItemDataRole.UserRole, nodeid)
            self.items[nodeid] = item
        item.setText(1, outcome)
        item.setForeground(1, QBrush(QColor(COLOURS[outcome])))
        return item

    def _result(self, run_id: int, result: dict[str, Any]) -> None:
        if run_id == self.run_id:
            self._add_result(result)
            self.progress.setValue(self.tally.done)
            self._show_counts()

    def _add_result(self, result: dict[str, Any]) -> None:
        self.results[result["nodeid"]] = result
        self.tally.add(result)
        item = self._item(result["nodeid"], result["outcome"])
        item.setText(2, f"{result['duration']:.2f} s")
        if result["message"]:
            item.setToolTip(1, result["message"])
        if result["outcome"] in ("failed", "error") and item.parent() is not None:
            item.parent().setExpanded(True)
            item.parent().setForeground(0, QBrush(QColor(COLOURS["failed"])))

    def _show_counts(self) -> None:
        c = self.tally.counts
        self.counts.setText(
            f"{self.tally.done} of {self.tally.total}: {c['passed']} passed · {c['failed']} "
            f"failed · {c['error']} errors · {c['skipped']} skipped · {c['n/a']} n/a"
        )

    @asyncSlot(object)
    async def _run_finished(self, run: dict[str, Any]) -> None:
        if run["id"] == self.run_id:
            self.progress.setRange(0, max(1, run["total"]))
            self.progress.setValue(self.tally.done)
            self._show_counts()
            self.counts.setText(f"{run['status'].lower()}: {self.counts.text()}")
            if run["message"]:
                self.message.setText(run["message"])
        await self.reload_history()
        self._update_buttons()

    # -- detail, history, compare --------------------------------------------------------------
    def show_detail(self, item: QTreeWidgetItem | None) -> None:
        nodeid = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        result = self.results.get(nodeid) if nodeid else None
        if result is None:
            self.detail.clear()
            return
        parts = [f"{result['nodeid']}: {result['outcome']} in {result['duration']:.2f} s"]
        if result["message"]:
            parts.append(result["message"])
        if result.get("longrepr"):
            parts.append(result["longrepr"])
        if result.get("output"):
            parts.append(result["output"])
        self.detail.setPlainText("\n\n".join(parts))

    async def reload_history(self) -> None:
        self.history = await self.tests.history()
        table = self.history_table
        table.blockSignals(True)
        table.setRowCount(len(self.history))
        for row, run in enumerate(self.history):
            rate = pass_rate(run)
            cells = (
                str(run["id"]),
                time.strftime("%Y-%m-%d %H:%M", time.localtime(run["started"])),
                run["target_name"] or run["target_url"],
                ", ".join(s.rsplit("/", 1)[-1] for s in run["suites"]),
                run["status"].lower(),
                str(run["passed"]),
                str(run["failed"] + run["errors"]),
                "—" if rate is None else f"{rate:.0f} %",
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, run["id"])
                if column == 4:
                    cell.setForeground(QBrush(QColor(COLOURS.get(run["status"], "#8a8a8a"))))
                table.setItem(row, column, cell)
        table.blockSignals(False)
        rated = [(r["id"], pass_rate(r)) for r in reversed(self.history)]
        points = [(i, rate) for i, (_id, rate) in enumerate(rated) if rate is not None]
        self.rate_curve.setData([p[0] for p in points], [p[1] for p in points])
        self.rate_plot.setXRange(-0.5, max(len(rated), 5) - 0.5, padding=0)

    def _selected_runs(self) -> list[int]:
        rows = sorted({i.row() for i in self.history_table.selectedIndexes()})
        return [self.history[r]["id"] for r in rows if r < len(self.history)]

    def _history_selected(self) -> None:
        selected = self._selected_runs()
        self._update_buttons()
        if len(selected) == 1 and selected[0] != self.run_id:
            self._load_run(selected[0])

    @asyncSlot(int)
    async def _load_run(self, run_id: int) -> None:
        await self.show_run(run_id)

    async def show_run(self, run_id: int) -> None:
        """Load a stored run into the tree."""
        results = await self.tests.results(run_id)
        self._show_run(run_id)
        self.tally.collected([r["nodeid"] for r in results])
        for result in results:
            self._add_result(result)
        self.progress.setRange(0, max(1, len(results)))
        self.progress.setValue(len(results))
        self._show_counts()
        self._update_buttons()

    @asyncSlot()
    async def compare(self) -> None:
        runs = self._selected_runs()
        if len(runs) != 2:
            return
        older, newer = sorted(runs)
        diff = await self.tests.compare(older, newer)
        lines = [f"Run #{older} → run #{newer}"]
        for key, title in (
            ("newly_failing", "Newly failing"),
            ("newly_passing", "Newly passing"),
            ("added", "New tests"),
            ("removed", "Tests gone"),
        ):
            lines.append(f"\n{title} ({len(diff[key])}):")
            lines += [f"  {n}" for n in diff[key]] or ["  none"]
        self.detail.setPlainText("\n".join(lines))
        self.comparison = diff

"""Tests: choose suites and a target, run, watch the live tree, read a failure, re-run the
failed ones, cancel; the history of runs with their pass rate, and a compare of two runs."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.services.test_run_service import TestRunService
from app.suites import what_a_run_writes
from app.test_results import RunTally
from widgets.run_controls import RunControls, add_shortcuts
from widgets.run_history import COMMON_START, Column, RunHistoryTable, status
from widgets.test_tree import TestTree
from widgets.time_series_plot import TimeSeriesPlot


def pass_rate(run: dict[str, Any]) -> float | None:
    ran = run["passed"] + run["failed"] + run["errors"]
    return 100.0 * run["passed"] / ran if ran else None


def _rate_text(run: dict[str, Any]) -> str:
    rate = pass_rate(run)
    return "—" if rate is None else f"{rate:.0f} %"


HISTORY_COLUMNS: tuple[Column, ...] = (
    *COMMON_START,
    ("Suites", lambda r: ", ".join(s.rsplit("/", 1)[-1] for s in r["suites"])),
    ("Status", status),
    ("Passed", lambda r: str(r["passed"])),
    ("Failed", lambda r: str(r["failed"] + r["errors"])),
    ("Pass rate", _rate_text),
)


class TestsPanel(QWidget):
    __test__ = False

    def __init__(self, tests: TestRunService) -> None:
        super().__init__()
        self.tests = tests
        self.run_id: int | None = None  # the run the tree shows

        self.suites = QListWidget()
        self.suites.setMaximumHeight(90)
        self.suites.setToolTip("Suites to run: bundled ones and your own pytest folders")
        self.add_folder = QPushButton("Add folder…")
        self.add_folder.clicked.connect(self.choose_folder)
        self.rerun_button = QPushButton("Re-run failed")
        self.rerun_button.setToolTip("Run only the tests that failed in the run shown (Ctrl+F5)")
        self.controls = RunControls("test", [self.rerun_button])
        self.controls.run_button.setToolTip("Run the chosen suites (F5)")
        self.target = self.controls.target
        self.run_button = self.controls.run_button
        self.cancel_button = self.controls.cancel_button
        self.progress = self.controls.progress
        self.counts = self.controls.counts
        self.message = self.controls.message
        self.writes = QLabel()  # what a run will write, said before it does
        self.writes.setObjectName("runWrites")
        self.writes.setWordWrap(True)
        self.suites.itemChanged.connect(lambda _item: self.show_writes())
        self.target.currentTextChanged.connect(lambda _name: self.show_writes())
        self.run_button.clicked.connect(self.run)
        self.rerun_button.clicked.connect(self.rerun_failed)
        self.cancel_button.clicked.connect(self.cancel)

        self.showing = QLabel("No run shown yet")  # whose results the tree holds
        self.showing.setObjectName("runShown")
        self.tree = TestTree()
        self.items = self.tree.by_id
        self.tree.currentItemChanged.connect(lambda item, _old: self.show_detail(item))
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setFont(QFont("monospace"))
        self.detail.setPlaceholderText("Choose a test to read its failure and captured output")

        self.history_table = RunHistoryTable(HISTORY_COLUMNS)
        self.history_table.selectedRunsChanged.connect(self._history_selected)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Select two runs: what newly fails and newly passes")
        self.compare_button.clicked.connect(self.compare)
        self.rate_plot = TimeSeriesPlot(
            "Pass rate by run",
            "%",
            ("pass rate",),
            x_label="run (oldest → newest)",
            points=True,
            y_range=(0, 100),
        )
        self.rate_plot.setBackground(None)  # the theme's, like the rest of the panel
        self.rate_plot.setMaximumHeight(160)
        self.rate_curve = self.rate_plot.curves[0]

        self._lay_out()
        add_shortcuts(
            self, (("F5", self.run), ("Ctrl+F5", self.rerun_failed), ("Shift+F5", self.cancel))
        )
        tests.runStarted.connect(self._run_started)
        tests.testsCollected.connect(self._collected)
        tests.resultAdded.connect(self._result)
        tests.runFinished.connect(self._run_finished)
        tests.runRefused.connect(self.message.setText)
        tests.runWaiting.connect(self.counts.setText)
        tests.clusterFinished.connect(self._cluster_finished)
        tests.connections.profilesChanged.connect(lambda _p: self.fill_targets())
        tests.fleet.clustersChanged.connect(lambda _c: self.fill_targets())
        self.fill_suites()
        self.fill_targets()
        self._update_buttons()

    def _lay_out(self) -> None:
        controls = QHBoxLayout()
        suites_box = QVBoxLayout()
        suites_box.addWidget(QLabel("Suites"))
        suites_box.addWidget(self.suites)
        suites_box.addWidget(self.add_folder)
        controls.addLayout(suites_box, 1)
        controls.addWidget(self.controls, 2)

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
        tree = QWidget()
        tree_layout = QVBoxLayout(tree)
        tree_layout.setContentsMargins(0, 0, 0, 0)
        tree_layout.addWidget(self.showing)
        tree_layout.addWidget(self.tree, 1)
        body.addWidget(tree)
        body.addWidget(right)
        body.setSizes([600, 500])
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.writes)
        layout.addWidget(body, 1)

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
        self.controls.fill_targets(self.tests.target_names())
        self.show_writes()

    def show_writes(self) -> None:
        text = what_a_run_writes(self.chosen_suites(), self.target.currentText())
        self.writes.setText(text)
        self.writes.setVisible(bool(text))

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
        self.tests.run_suites(self.chosen_suites(), [self.target.currentText()])

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
        self.rerun_button.setEnabled(not running and self.tree.any_failed())
        self.compare_button.setEnabled(len(self.history_table.selected_ids()) == 2)

    @property
    def tally(self) -> RunTally:
        return self.tree.tally

    @asyncSlot(object)
    async def _run_started(self, run: dict[str, Any]) -> None:
        self._show_run(run["id"], run["target_name"])
        self.counts.setText(f"Run #{run['id']} on {run['target_name']}: starting…")
        self._update_buttons()
        await self.reload_history()  # the running run is in the history from its start

    def _show_run(self, run_id: int, target: str) -> None:
        self.run_id = run_id
        self.showing.setText(f"Results of run #{run_id} on {target}")
        self.tree.start_over()
        self.detail.clear()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)

    def _collected(self, run_id: int, nodeids: list[str]) -> None:
        if run_id != self.run_id:
            return
        self.tree.collected(nodeids)
        self.progress.setRange(0, max(1, len(nodeids)))
        self._show_counts()

    def _result(self, run_id: int, result: dict[str, Any]) -> None:
        if run_id == self.run_id:
            self.tree.add_result(result)
            self.progress.setValue(self.tally.done)
            self._show_counts()

    def _show_counts(self) -> None:
        self.counts.setText(self.tree.counts_text())

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

    def _cluster_finished(self, summary: str) -> None:
        self.message.setText(f"{summary}. Each node's run is in the History; choose one to see it.")

    # -- detail, history, compare --------------------------------------------------------------
    def show_detail(self, item: QTreeWidgetItem | None) -> None:
        self.detail.setPlainText(self.tree.detail(item))

    async def reload_history(self) -> None:
        history = await self.tests.history()
        self.history_table.set_runs(history)
        rated = [pass_rate(r) for r in reversed(history)]
        points = [(i, rate) for i, rate in enumerate(rated) if rate is not None]
        self.rate_plot.show_series(
            np.array([p[0] for p in points], dtype=float),
            np.array([p[1] for p in points], dtype=float),
        )
        self.rate_plot.setXRange(-0.5, max(len(rated), 5) - 0.5, padding=0)

    def _history_selected(self, selected: list[int]) -> None:
        self._update_buttons()
        if len(selected) == 1 and selected[0] != self.run_id:
            self._load_run(selected[0])

    @asyncSlot(int)
    async def _load_run(self, run_id: int) -> None:
        await self.show_run(run_id)

    async def show_run(self, run_id: int) -> None:
        """Load a stored run into the tree."""
        results = await self.tests.results(run_id)
        run = await self.tests.run(run_id)
        self._show_run(run_id, run["target_name"])
        self.tree.tally.collected([r["nodeid"] for r in results])
        for result in results:
            self.tree.add_result(result)
        self.progress.setRange(0, max(1, len(results)))
        self.progress.setValue(len(results))
        self._show_counts()
        self._update_buttons()

    @asyncSlot()
    async def compare(self) -> None:
        runs = self.history_table.selected_ids()
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

"""Load: a scenario, a target and the load's shape; run, watch it live (throughput, latency,
inclusion, users), change the users or end the hold while it runs, read the verdict and the
errors; the history of runs, two of them compared, a run's seconds exported as CSV."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.load.summary import differences, worker_lines
from app.load.thresholds import number
from app.services.load_service import LoadService
from widgets.load_charts import LoadCharts, LoadComparison
from widgets.load_form import LoadForm
from widgets.run_controls import RunControls, add_shortcuts
from widgets.run_history import COMMON_START, Column, RunHistoryTable, status
from widgets.theme import STATUS_COLOURS


def _figure(run: dict[str, Any], *path: str) -> str:
    value: Any = run.get("summary") or {}
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return "—" if value is None else number(float(value))


HISTORY_COLUMNS: tuple[Column, ...] = (
    *COMMON_START,
    ("Scenario", lambda r: str(r["scenario"]).rsplit("/", 1)[-1]),
    ("Users", lambda r: str(r["users"])),
    ("Status", status),
    ("req/s", lambda r: _figure(r, "rps")),
    ("p95 ms", lambda r: _figure(r, "latency_ms", "p95")),
    ("included/s", lambda r: _figure(r, "transactions", "included_tps")),
)


class LoadPanel(QWidget):
    def __init__(self, load: LoadService) -> None:
        super().__init__()
        self.load = load
        self.run_id: int | None = None  # the run the charts show
        self.ticks: list[dict[str, Any]] = []
        self.hold_s = 0.0
        self.url = ""

        self.form = LoadForm(
            load.scenario_choices(), load.threshold_problem, load.ssh_worker_problem
        )
        self.end_hold_button = QPushButton("End hold")
        self.end_hold_button.setToolTip("Stop sending now, drain and judge the run (Ctrl+E)")
        self.controls = RunControls("load", [self.end_hold_button])
        self.controls.run_button.setToolTip("Start the load run (F5)")
        self.target, self.run_button = self.controls.target, self.controls.run_button
        self.cancel_button, self.progress = self.controls.cancel_button, self.controls.progress
        self.counts, self.message = self.controls.counts, self.controls.message
        self.progress.setFormat("%v / %m s")
        self.live_users = QSpinBox()
        self.live_users.setRange(0, 10_000)
        self.set_users_button = QPushButton("Set users")
        self.set_users_button.setToolTip("Change the number of users of the running run now")

        self.charts = LoadCharts()
        self.comparison = LoadComparison()
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.errors = QTableWidget(0, 2)
        self.errors.setHorizontalHeaderLabels(["Count", "Error"])
        self.errors.horizontalHeader().setStretchLastSection(True)
        self.errors.verticalHeader().setVisible(False)
        self.compared = QPlainTextEdit()
        self.compared.setReadOnly(True)
        self.compared.setFont(QFont("monospace"))  # the figures line up in columns
        self.compared.setPlaceholderText("Select two runs in the history and press Compare")
        self.history_table = RunHistoryTable(HISTORY_COLUMNS)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Select two runs: curves overlaid and figures side by side")
        self.export_button = QPushButton("Export CSV…")
        self.html_button = QPushButton("HTML report…")
        self.html_button.setToolTip("The run's verdict, figures and charts in one page to share")
        self.again_button = QPushButton("Use these settings")
        self.again_button.setToolTip("Fill the form with the chosen run's settings")

        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.end_hold_button.clicked.connect(self.end_hold)
        self.set_users_button.clicked.connect(self.set_users)
        self.history_table.selectedRunsChanged.connect(self._history_selected)
        self.compare_button.clicked.connect(self.compare)
        self.export_button.clicked.connect(lambda: self.choose_export("csv"))
        self.html_button.clicked.connect(lambda: self.choose_export("html"))
        self.again_button.clicked.connect(self.use_settings)
        self._lay_out()
        add_shortcuts(
            self, (("F5", self.run), ("Shift+F5", self.cancel), ("Ctrl+E", self.end_hold))
        )
        load.runStarted.connect(self._run_started)
        load.progressed.connect(lambda run_id, text: self._say(run_id, text))
        load.phaseChanged.connect(lambda run_id, phase: self._say(run_id, f"{phase}…"))
        load.tickReceived.connect(self._tick)
        load.runFinished.connect(self._run_finished)
        load.runRefused.connect(self.message.setText)
        load.runWaiting.connect(self.counts.setText)
        load.targetsChanged.connect(self.fill_targets)
        self.fill_targets()
        self.form.check()
        self._update_buttons()

    def _lay_out(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.form)
        left_layout.addWidget(self.controls)
        live = QHBoxLayout()
        live.addWidget(QLabel("Users now"))
        live.addWidget(self.live_users, 1)
        live.addWidget(self.set_users_button)
        left_layout.addLayout(live)
        left_layout.addWidget(QLabel("Verdict"))
        left_layout.addWidget(self.verdict)
        left_layout.addWidget(QLabel("Errors"))
        left_layout.addWidget(self.errors, 1)

        views = QTabWidget()
        views.addTab(self.charts, "Live")
        compare_page = QWidget()
        compare_layout = QVBoxLayout(compare_page)
        compare_layout.addWidget(self.comparison, 2)
        compare_layout.addWidget(self.compared, 1)
        views.addTab(compare_page, "Compare")
        self.views = views
        history = QWidget()
        history_layout = QVBoxLayout(history)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("History"))
        buttons.addStretch(1)
        for button in (
            self.again_button,
            self.export_button,
            self.html_button,
            self.compare_button,
        ):
            buttons.addWidget(button)
        history_layout.addLayout(buttons)
        history_layout.addWidget(self.history_table)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(views)
        right.addWidget(history)
        right.setSizes([600, 220])
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([360, 900])
        QVBoxLayout(self).addWidget(splitter)

    def fill_targets(self) -> None:
        self.controls.fill_targets(self.load.target_names())

    def _update_buttons(self) -> None:
        running = self.load.running() is not None
        for widget in (self.cancel_button, self.end_hold_button, self.set_users_button):
            widget.setEnabled(running)
        chosen = self.history_table.selected_ids()
        self.compare_button.setEnabled(len(chosen) == 2)
        self.export_button.setEnabled(len(chosen) == 1)
        self.html_button.setEnabled(len(chosen) == 1)
        self.again_button.setEnabled(len(chosen) == 1)

    def _say(self, run_id: int, text: str) -> None:
        if run_id == self.run_id:
            self.counts.setText(f"Run #{run_id}: {text}")

    # -- running -------------------------------------------------------------------------------
    def run(self) -> None:
        self.message.clear()
        if not self.form.check():
            self.message.setText(f"fix {self.form.problem} first")
            return
        self.load.run_load(self.target.currentText(), self.form.options())

    @asyncSlot()
    async def cancel(self) -> None:
        await self.load.cancel(self.load.running())

    def end_hold(self) -> None:
        self.load.end_hold()

    def set_users(self) -> None:
        if self.load.set_users(self.live_users.value()):
            self.counts.setText(f"asked for {self.live_users.value()} users")

    def _run_started(self, run: dict[str, Any]) -> None:
        self.run_id, self.ticks, self.hold_s = run["id"], [], float(run["hold_s"])
        self.url = str(run["target_url"])
        self.charts.show_ticks([])
        self.verdict.clear()
        self.errors.setRowCount(0)
        self.progress.setRange(0, max(1, round(self.hold_s)))
        self.progress.setValue(0)
        self.live_users.setValue(run["users"])
        self.views.setCurrentIndex(0)
        self.counts.setText(f"Run #{run['id']} on {run['target_name']}: starting…")
        self._update_buttons()
        self._reload()

    @asyncSlot(int, object)
    async def _tick(self, run_id: int, tick: dict[str, Any]) -> None:
        if run_id != self.run_id:
            return
        self.ticks.append(tick)
        self.charts.show_ticks(self.ticks, await self.load.node_figures(self.url, self.ticks))
        held = sum(1 for t in self.ticks if t["phase"] == "hold")
        self.progress.setValue(min(held, self.progress.maximum()))
        self.counts.setText(
            f"Run #{run_id}: {tick['phase']}, {tick['users']} users, {tick['rps']:,} req/s, "
            f"p95 {'—' if tick['p95'] is None else number(tick['p95'])} ms"
        )

    def _run_finished(self, run: dict[str, Any]) -> None:
        if run["id"] == self.run_id:
            self.show_verdict(run)
            self.counts.setText(f"Run #{run['id']}: {run['status'].lower()}")
        self._update_buttons()
        self._reload()

    def show_verdict(self, run: dict[str, Any]) -> None:
        summary = run.get("summary") or {}
        lines = [
            f"<span style='color:{STATUS_COLOURS['passed' if t['ok'] else 'failed']}'>"
            f"{html.escape(t['message'])}</span>"
            for t in summary.get("thresholds", [])
        ]
        lines += [html.escape(line) for line in worker_lines(summary)]
        if summary.get("generator", {}).get("saturated"):
            lines.append("The load generator was saturated: these figures are its limit.")
        if run.get("message") and not summary.get("thresholds"):
            lines.append(html.escape(str(run["message"]).splitlines()[0]))
        word = {"SUCCEEDED": "passed"}.get(run["status"], run["status"].lower())
        colour = STATUS_COLOURS.get(run["status"], "#8a8a8a")
        self.verdict.setText(f"<b style='color:{colour}'>{word}</b><br>" + "<br>".join(lines))
        errors = list((summary.get("errors") or {}).items())
        self.errors.setRowCount(len(errors))
        for row, (error, count) in enumerate(errors):
            self.errors.setItem(row, 0, QTableWidgetItem(f"{count:,}"))
            self.errors.setItem(row, 1, QTableWidgetItem(error))

    # -- history -------------------------------------------------------------------------------
    @asyncSlot()
    async def _reload(self) -> None:
        await self.reload_history()

    async def reload_history(self) -> None:
        self.history_table.set_runs(await self.load.history())
        self._update_buttons()

    def _history_selected(self, selected: list[int]) -> None:
        self._update_buttons()
        if len(selected) == 1 and selected[0] != self.run_id:
            self._show_stored(selected[0])

    @asyncSlot(int)
    async def _show_stored(self, run_id: int) -> None:
        run = next((r for r in self.history_table.runs if r["id"] == run_id), None)
        if run is None or self.load.running() == run_id:
            return
        self.run_id, self.ticks, self.url = run_id, await self.load.ticks(run_id), run["target_url"]
        self.charts.show_ticks(self.ticks, await self.load.node_figures(self.url, self.ticks))
        self.show_verdict(run)
        self.views.setCurrentIndex(0)

    @asyncSlot()
    async def compare(self) -> None:
        chosen = sorted(self.history_table.selected_ids())
        if len(chosen) != 2:
            return
        runs = {r["id"]: r for r in self.history_table.runs}
        older, newer = runs[chosen[0]], runs[chosen[1]]
        self.comparison.show_runs(
            await self.load.ticks(older["id"]), await self.load.ticks(newer["id"])
        )
        lines = [f"{'figure':<22}{'#' + str(older['id']):>12}{'#' + str(newer['id']):>12}  change"]
        for label, a, b, change in differences(older["summary"], newer["summary"]):
            shown = "" if change is None else f"{change:+.0f}%"
            lines.append(f"{label:<22}{_num(a):>12}{_num(b):>12}  {shown}")
        self.compared.setPlainText("\n".join(lines))
        self.views.setCurrentIndex(1)

    def choose_export(self, kind: str) -> None:
        chosen = self.history_table.selected_ids()
        if len(chosen) != 1:
            return
        title = "Export the run's seconds" if kind == "csv" else "Write the run's report"
        dialog = QFileDialog(self, title, f"load-run-{chosen[0]}.{kind}")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda path: self.export(chosen[0], path, kind))
        dialog.open()

    @asyncSlot(int, str, str)
    async def export(self, run_id: int, path: str, kind: str = "csv") -> None:
        try:
            if kind == "html":
                await self.load.export_html(run_id, path)
            else:
                await self.load.export_csv(run_id, path)
        except OSError as exc:
            self.message.setText(f"could not write {path}: {exc.strerror or exc}")
        except ValueError as exc:
            self.message.setText(str(exc))
        else:
            self.counts.setText(f"Run #{run_id} written to {path}")

    def use_settings(self) -> None:
        chosen = self.history_table.selected_ids()
        run = next((r for r in self.history_table.runs if chosen and r["id"] == chosen[0]), None)
        if run is not None:
            self.form.fill(run["options"])
            self.target.setCurrentText(run["target_name"])

    def set_dark(self, dark: bool) -> None:
        self.charts.set_dark(dark)

    def set_marks(self, marks: list[tuple[float, str]]) -> None:
        self.charts.set_marks(marks)


def _num(value: float | None) -> str:
    return "—" if value is None else number(value)

"""Deploy: a plan (open, edit with validation as you type, save), its dry run, and a live
timeline of the deployment it starts (nodes by steps, every gate's verdict with its figures, a
log per step); Approve, Abort and Rollback now at any moment; the history of deployments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.deploy.plan import PlanError
from app.services.deploy_service import DeployService
from widgets.deploy_timeline import TimelineView
from widgets.run_controls import add_shortcuts
from widgets.run_history import Column, RunHistoryTable, started, status
from widgets.theme import STATUS_COLOURS

CHECK_DELAY_MS = 300  # validation waits for a pause in typing

STARTER = """# A deployment plan (chaindeck deploy PLAN runs the same file).
name = "one-second blocks"
cluster = "{cluster}"
target = "local"
strategy = "rolling"            # rolling | canary | blue-green

[version]
args = ["--block-time", "1"]

[[gates]]
kind = "health"
max_behind = 2
within = "30s"

[[gates]]
kind = "test"
suites = ["conformance"]
"""

HISTORY_COLUMNS: tuple[Column, ...] = (
    ("#", lambda r: str(r["id"])),
    ("Started", started),
    ("Plan", lambda r: str(r["plan_name"])),
    ("Cluster", lambda r: str(r["cluster"])),
    ("Status", status),
    ("Outcome", lambda r: str((r.get("summary") or {}).get("status", "")).replace("_", " ")),
)


class DeployPanel(QWidget):
    def __init__(self, deploy: DeployService, cluster_names: list[str] | None = None) -> None:
        super().__init__()
        self.deploy = deploy
        self.path: Path | None = None
        self.run_id: int | None = None  # the deployment the timeline shows

        self.editor = QPlainTextEdit()
        self.editor.setFont(QFont("monospace"))
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # TOML reads by line
        first = next(iter(cluster_names or []), "Local")
        self.editor.setPlainText(STARTER.format(cluster=first))
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.open_button = QPushButton("Open…")
        self.save_button = QPushButton("Save…")
        self.dry_button = QPushButton("Dry run")
        self.dry_button.setToolTip("Show the steps, commands, gates and rollback (Ctrl+D)")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Start the deployment (F5)")
        self.approve_button = QPushButton("Approve")
        self.reject_button = QPushButton("Reject")
        self.abort_button = QPushButton("Abort")
        self.abort_button.setToolTip("Stop now and roll back every node changed (Shift+F5)")
        self.rollback_button = QPushButton("Rollback now")
        self.rollback_button.setToolTip(
            "Running: abort and roll back. Finished: put its nodes back on what they ran before"
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timeline = TimelineView()
        self.history_table = RunHistoryTable(HISTORY_COLUMNS)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check)
        self.editor.textChanged.connect(self._check_timer.start)
        self.open_button.clicked.connect(self.choose_open)
        self.save_button.clicked.connect(self.choose_save)
        self.dry_button.clicked.connect(self.dry_run)
        self.run_button.clicked.connect(self.run)
        self.approve_button.clicked.connect(lambda: self.answer(True))
        self.reject_button.clicked.connect(lambda: self.answer(False))
        self.abort_button.clicked.connect(self.abort)
        self.rollback_button.clicked.connect(self.rollback_now)
        self.history_table.selectedRunsChanged.connect(self._history_selected)
        self._lay_out()
        add_shortcuts(
            self,
            (
                ("F5", self.run),
                ("Shift+F5", self.abort),
                ("Ctrl+D", self.dry_run),
                ("Ctrl+S", self.choose_save),
                ("Ctrl+O", self.choose_open),
            ),
        )
        deploy.deploymentStarted.connect(self._started)
        deploy.eventReceived.connect(self._event)
        deploy.deploymentFinished.connect(self._finished)
        deploy.deploymentRefused.connect(lambda why: self._say(why, "failed"))
        deploy.deploymentWaiting.connect(self._say)
        deploy.approvalRequested.connect(self._asked)
        deploy.approvalSettled.connect(lambda _run: self._buttons())
        self._buttons()
        self.check()

    def _lay_out(self) -> None:
        files = QHBoxLayout()
        for button in (self.open_button, self.save_button):
            files.addWidget(button)
        files.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(files)
        left_layout.addWidget(self.editor, 1)
        left_layout.addWidget(self.problem)
        left_layout.addWidget(QLabel("History"))
        left_layout.addWidget(self.history_table, 1)
        actions = QHBoxLayout()
        for button in (
            self.dry_button,
            self.run_button,
            self.approve_button,
            self.reject_button,
            self.abort_button,
            self.rollback_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(actions)
        right_layout.addWidget(self.message)
        right_layout.addWidget(self.timeline, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 2)
        split.setSizes([460, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    # -- the plan ----------------------------------------------------------------------------
    def text(self) -> str:
        return self.editor.toPlainText()

    def check(self) -> str | None:
        problem = self.deploy.check(self.text())
        if problem:
            self.problem.setText(f"<span style='color:{STATUS_COLOURS['failed']}'>{problem}</span>")
        else:
            self.problem.setText("The plan is valid.")
        self._buttons(problem)
        return problem

    def _buttons(self, problem: str | None = "") -> None:
        if problem == "":
            problem = self.deploy.check(self.text())
        running = self.deploy.running()
        asked = running is not None and self.deploy.pending_approval(running)
        self.run_button.setEnabled(problem is None)
        self.dry_button.setEnabled(problem is None)
        self.approve_button.setEnabled(asked)
        self.reject_button.setEnabled(asked)
        self.abort_button.setEnabled(running is not None)
        self.rollback_button.setEnabled(running is not None or self.run_id is not None)

    def _say(self, text: str, state: str = "") -> None:
        colour = STATUS_COLOURS.get(state)
        self.message.setText(f"<span style='color:{colour}'>{text}</span>" if colour else text)

    def open_plan(self, path: Path) -> None:
        try:
            self.editor.setPlainText(self.deploy.read_plan(path))
        except OSError as exc:
            self._say(f"cannot open {path}: {exc.strerror or exc}", "failed")
            return
        self.path = path
        self.check()

    def save_plan(self, path: Path) -> None:
        try:
            self.deploy.save_plan(path, self.text())
        except OSError as exc:
            self._say(f"cannot save {path}: {exc.strerror or exc}", "failed")
            return
        self.path = path
        self._say(f"saved {path}")

    def choose_open(self) -> None:
        dialog = QFileDialog(self, "Open a deployment plan", "", "Plans (*.toml)")
        dialog.fileSelected.connect(lambda name: self.open_plan(Path(name)))
        dialog.open()

    def choose_save(self) -> None:
        dialog = QFileDialog(self, "Save the plan", str(self.path or "plan.toml"), "*.toml")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda name: self.save_plan(Path(name)))
        dialog.open()

    # -- running -----------------------------------------------------------------------------
    @asyncSlot()
    async def dry_run(self) -> None:
        if self.check():
            return
        self.dry_button.setEnabled(False)
        try:
            steps = await self.deploy.dry_run(self.text())
        except PlanError as exc:
            self._say(str(exc), "failed")
            return
        finally:
            self._buttons()
        lines = ["Dry run: nothing changes."]
        for i, step in enumerate(steps, 1):
            note = f" ({step['note']})" if step["note"] else ""
            lines.append(f"{i}. {step['action']}{note} {', '.join(step['nodes'])}")
            lines += [f"     {c}" for c in step["commands"]]
            lines += [f"     gate: {g}" for g in step["gates"]]
            lines += [f"     rollback: {r}" for r in step["rollback"]]
        self.timeline.log.setPlainText("\n".join(lines))
        self._say(f"dry run: {len(steps)} steps, shown below")

    def run(self) -> None:
        if self.check() is None and self.deploy.run(self.text()):
            self._say("starting…")

    def answer(self, yes: bool) -> None:
        running = self.deploy.running()
        if running is not None and self.deploy.approve(running, yes):
            self._say("approved: going on" if yes else "rejected: rolling back")
        self._buttons()

    @asyncSlot()
    async def abort(self) -> None:
        if self.deploy.running() is not None:
            self._say("aborting: rolling back…", "aborted")
            await self.deploy.abort()

    @asyncSlot()
    async def rollback_now(self) -> None:
        if self.run_id is None:
            return
        problem = await self.deploy.rollback_now(self.run_id)
        self._say(problem or "rolling back…", "failed" if problem else "aborted")

    # -- what the service tells --------------------------------------------------------------
    def _started(self, row: dict[str, Any]) -> None:
        self.run_id = row["id"]
        self.timeline.show_timeline(self.deploy.live[row["id"]])
        self._say(f"deployment #{row['id']} running")
        self._buttons()
        self.reload_history()

    def _event(self, run_id: int, event: dict[str, Any]) -> None:
        if run_id == self.run_id and run_id in self.deploy.live:
            self.timeline.show_timeline(self.deploy.live[run_id])
        if event["type"] == "gate" and event["status"] != "passed":
            self._say(f"{event['gate']} {event['status']}: {event['detail']}", event["status"])

    def _asked(self, run_id: int, question: str) -> None:
        self._say(f"waiting for you: {question}", "inconclusive")
        self._buttons()

    def _finished(self, row: dict[str, Any]) -> None:
        outcome = str((row.get("summary") or {}).get("status", row["status"]))
        reason = row.get("message") or ""
        self._say(
            f"deployment #{row['id']}: {outcome.replace('_', ' ')}"
            + (f" — {reason}" if reason else ""),
            outcome,
        )
        self.reload_history(row["id"])
        self._buttons()

    @asyncSlot()
    async def reload_history(self, show: int | None = None) -> None:
        self.history_table.set_runs(await self.deploy.history())
        if show is not None and show == self.run_id:
            self.timeline.show_timeline(await self.deploy.timeline(show))

    @asyncSlot()
    async def _history_selected(self, ids: list[int]) -> None:
        if len(ids) != 1:
            return
        self.run_id = ids[0]
        self.timeline.show_timeline(await self.deploy.timeline(ids[0]))
        self._buttons()

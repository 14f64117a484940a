"""The Load tab's form: what `chaindeck load` takes as options, with the thresholds checked as
they are typed. It reads into `LoadOptions` and back (a stored run can fill it again)."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.load.plan import LoadOptions
from widgets.theme import STATUS_COLOURS

THRESHOLD_HINT = "one a line: p95<500ms\nerrors<1%\ninclusion_p95<3s\nincluded_tps>=100/s"


Check = Callable[[list[str]], str | None]


class LoadForm(QWidget):
    def __init__(self, scenarios: list[str], check_thresholds: Check, check_workers: Check):
        super().__init__()
        self.check_thresholds = check_thresholds
        self.check_workers = check_workers
        self.problem: str | None = None  # what `check` found wrong, in words
        self.scenario = QComboBox()
        self.scenario.setEditable(True)  # a locustfile's path may be typed or chosen
        self.scenario.addItems(scenarios)
        self.scenario.setToolTip("A built-in scenario, or the path of your own locustfile")
        self.browse = QPushButton("Locustfile…")
        self.browse.clicked.connect(self.choose_locustfile)
        self.users = QSpinBox()
        self.users.setRange(1, 10_000)
        self.users.setValue(10)
        self.spawn_rate = QDoubleSpinBox()
        self.spawn_rate.setRange(0, 10_000)
        self.spawn_rate.setSpecialValueText("all at once")
        self.spawn_rate.setSuffix(" /s")
        self.duration = QLineEdit("30s")
        self.duration.setToolTip("How long the users are held: 30s, 5m, 1h")
        self.stages = QLineEdit()
        self.stages.setPlaceholderText("10s:20,1m:20,10s:0 (instead of users and duration)")
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0, 1_000_000)
        self.rate.setSpecialValueText("closed model")
        self.rate.setSuffix(" tx/s")
        self.rate.setToolTip(
            "Open model: transfers offered at this rate whatever the node's latency; "
            "sends that cannot start on time count as dropped"
        )
        self.workers = QSpinBox()
        self.workers.setRange(1, 64)
        self.workers.setValue(max(1, min(4, (os.cpu_count() or 2) // 2)))
        self.workers.setToolTip("Locust worker processes on this machine")
        self.drain = QLineEdit("30s")
        self.drain.setToolTip("After the hold, how long to wait for pending transfers")
        self.remote = self._remote_workers()
        self.thresholds = QPlainTextEdit()
        self.thresholds.setPlaceholderText(THRESHOLD_HINT)
        self.thresholds.setMaximumHeight(90)
        self.threshold_check = QLabel()
        self.threshold_check.setWordWrap(True)
        self.thresholds.textChanged.connect(self.check)

        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        scenario_row = QHBoxLayout()
        scenario_row.addWidget(self.scenario, 1)
        scenario_row.addWidget(self.browse)
        layout.addRow("Scenario", scenario_row)
        layout.addRow("Users", self.users)
        layout.addRow("Spawn rate", self.spawn_rate)
        layout.addRow("Duration", self.duration)
        layout.addRow("Stages", self.stages)
        layout.addRow("Rate", self.rate)
        layout.addRow("Workers", self.workers)
        layout.addRow("Drain", self.drain)
        layout.addRow(self.remote)
        layout.addRow(self.remote_fields)
        layout.addRow("Thresholds", self.thresholds)
        layout.addRow("", self.threshold_check)

    def _remote_workers(self) -> QCheckBox:
        """Workers on other machines, started over SSH (`--ssh-worker`): off unless asked for,
        and folded away while off."""
        box = QCheckBox("Workers on other machines (SSH)")
        box.setToolTip(
            "Each host runs `chaindeck load-worker`, joining through a port the SSH connection "
            "forwards back: the master keeps listening on 127.0.0.1 only"
        )
        self.ssh_workers = QLineEdit()
        self.ssh_workers.setPlaceholderText("user@host[:port], user@host2")
        self.ssh_workers.textChanged.connect(self.check)
        self.ssh_key = QLineEdit()
        self.ssh_key.setPlaceholderText("the SSH agent's keys")
        key_button = QPushButton("Key…")
        key_button.clicked.connect(lambda: self._choose_file("SSH key", self.ssh_key))
        self.ssh_known_hosts = QLineEdit()
        self.ssh_known_hosts.setPlaceholderText("~/.ssh/known_hosts (an unknown host is refused)")
        hosts_button = QPushButton("File…")
        hosts_button.clicked.connect(lambda: self._choose_file("known_hosts", self.ssh_known_hosts))
        self.ssh_chaindeck = QLineEdit("chaindeck")
        self.ssh_chaindeck.setToolTip("ChainDeck's command on those hosts")
        self.worker_check = QLabel()
        self.worker_check.setWordWrap(True)
        box.toggled.connect(self.check)
        self.remote_fields = QFrame()
        self.remote_fields.setFrameShape(QFrame.Shape.StyledPanel)
        self.remote_fields.setVisible(False)
        box.toggled.connect(self.remote_fields.setVisible)
        form = QFormLayout(self.remote_fields)
        form.addRow("Hosts", self.ssh_workers)
        form.addRow(self.worker_check)  # the whole width: a message on one line
        for label, line, button in (
            ("Key", self.ssh_key, key_button),
            ("Known hosts", self.ssh_known_hosts, hosts_button),
        ):
            row = QHBoxLayout()
            row.addWidget(line, 1)
            row.addWidget(button)
            form.addRow(label, row)
        form.addRow("chaindeck", self.ssh_chaindeck)
        return box

    def _choose_file(self, title: str, into: QLineEdit) -> None:
        dialog = QFileDialog(self, f"Choose the {title} file", os.path.expanduser("~/.ssh"))
        dialog.fileSelected.connect(into.setText)
        dialog.open()

    def worker_hosts(self) -> list[str]:
        if not self.remote.isChecked():
            return []
        return [h.strip() for h in self.ssh_workers.text().replace(",", " ").split() if h]

    def choose_locustfile(self) -> None:
        dialog = QFileDialog(self, "Choose a locustfile", "", "Python files (*.py)")
        dialog.fileSelected.connect(self.scenario.setCurrentText)
        dialog.open()  # not exec(): no nested event loop under qasync

    def threshold_lines(self) -> list[str]:
        return [line for line in self.thresholds.toPlainText().splitlines() if line.strip()]

    def check(self) -> bool:
        problem = self.check_thresholds(self.threshold_lines())
        if problem is None:
            count = len(self.threshold_lines())
            self.threshold_check.setStyleSheet(f"color: {STATUS_COLOURS['passed']}")
            self.threshold_check.setText(f"{count} threshold{'s' if count != 1 else ''}, valid")
            if not count:
                self.threshold_check.setText("no thresholds: every run passes")
        else:
            self.threshold_check.setStyleSheet(f"color: {STATUS_COLOURS['failed']}")
            self.threshold_check.setText(problem)
        workers_ok = self._check_workers()
        self.problem = (
            "the thresholds" if problem is not None else None if workers_ok else "the SSH hosts"
        )
        return self.problem is None

    def _check_workers(self) -> bool:
        hosts = self.worker_hosts()
        problem = self.check_workers(hosts)
        if self.remote.isChecked() and not hosts:
            problem = "no hosts: user@host[:port], separated by commas"
        colour = STATUS_COLOURS["failed" if problem else "passed"]
        self.worker_check.setStyleSheet(f"color: {colour}")
        count = len(hosts)
        self.worker_check.setText(problem or f"{count} host{'s' if count != 1 else ''}")
        return problem is None

    def options(self) -> LoadOptions:
        return LoadOptions(
            scenario=self.scenario.currentText().strip(),
            users=self.users.value(),
            spawn_rate=self.spawn_rate.value() or None,
            duration=self.duration.text(),
            rate=self.rate.value() or None,
            stages=self.stages.text(),
            workers=self.workers.value(),
            thresholds=self.threshold_lines(),
            drain=self.drain.text(),
            ssh_workers=self.worker_hosts(),
            ssh_key=self.ssh_key.text().strip() or None,
            ssh_known_hosts=self.ssh_known_hosts.text().strip() or None,
            ssh_chaindeck=self.ssh_chaindeck.text().strip() or "chaindeck",
        )

    def fill(self, options: dict[str, object]) -> None:
        """A stored run's options back into the form, to run it again."""
        saved = LoadOptions(
            **{k: v for k, v in options.items() if k in LoadOptions.__annotations__}
        )
        self.scenario.setCurrentText(saved.scenario)
        self.users.setValue(saved.users)
        self.spawn_rate.setValue(saved.spawn_rate or 0)
        self.duration.setText(saved.duration)
        self.stages.setText(saved.stages)
        self.rate.setValue(saved.rate or 0)
        self.workers.setValue(saved.workers)
        self.drain.setText(saved.drain)
        self.thresholds.setPlainText("\n".join(saved.thresholds))
        self.ssh_workers.setText(", ".join(saved.ssh_workers))
        self.ssh_key.setText(saved.ssh_key or "")
        self.ssh_known_hosts.setText(saved.ssh_known_hosts or "")
        self.ssh_chaindeck.setText(saved.ssh_chaindeck)
        self.remote.setChecked(bool(saved.ssh_workers))

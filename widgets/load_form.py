"""The Load tab's form: what `chaindeck load` takes as options, with the thresholds checked as
they are typed. It reads into `LoadOptions` and back (a stored run can fill it again)."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
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


class LoadForm(QWidget):
    def __init__(self, scenarios: list[str], check_thresholds: Callable[[list[str]], str | None]):
        super().__init__()
        self.check_thresholds = check_thresholds
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
        layout.addRow("Thresholds", self.thresholds)
        layout.addRow("", self.threshold_check)

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

"""Alerts: what fires now, the history, and the rules (thresholds and durations) to edit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.health.alerts import HAS_THRESHOLD, Alert, Rule, edited
from app.services.alert_service import AlertService
from widgets.format import plural
from widgets.table_model import Index, RowTableModel

FIRING = QColor(218, 54, 51, 90)


def _when(epoch: float | None) -> str:
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S") if epoch else ""


def _lasted(alert: Alert) -> str:
    end = alert.resolved or dt.datetime.now().timestamp()
    seconds = int(end - alert.started)
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


class AlertTableModel(RowTableModel):
    columns = ("Alert", "Node", "What", "Started", "Resolved", "Lasted")

    def __init__(self) -> None:
        super().__init__()
        self.alerts: list[Alert] = []

    def set_alerts(self, alerts: list[Alert]) -> None:
        self.beginResetModel()
        self.alerts = list(alerts)
        self.rows = [{"id": a.id} for a in alerts]
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        a = self.alerts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            resolved = _when(a.resolved) if a.resolved else "firing"
            cells = (a.title, a.node, a.message, _when(a.started), resolved, _lasted(a))
            return cells[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and a.firing:
            return QBrush(FIRING)
        if role == Qt.ItemDataRole.ToolTipRole:
            return a.message
        return None


class RulesDialog(QDialog):
    """One line per rule: on/off, threshold, duration. Bad values keep the dialog open."""

    def __init__(self, alerts: AlertService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alerts = alerts
        self.setWindowTitle("Alert rules")
        grid = QGridLayout()
        for column, title in enumerate(("On", "Rule", "Threshold", "For at least")):
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
        self.lines: list[tuple[Rule, QCheckBox, QDoubleSpinBox, QDoubleSpinBox]] = []
        for row, rule in enumerate(alerts.rules, start=1):
            enabled = QCheckBox()
            enabled.setChecked(rule.enabled)
            threshold = QDoubleSpinBox()
            threshold.setRange(0, 1e9)
            threshold.setDecimals(0 if rule.unit in ("blocks", "ms", "s") else 1)
            threshold.setSuffix(f" {rule.unit}" if rule.unit else "")
            threshold.setValue(rule.threshold)
            threshold.setEnabled(HAS_THRESHOLD[rule.key])
            duration = QDoubleSpinBox()
            duration.setRange(0, 86400)
            duration.setDecimals(0)
            duration.setSuffix(" s")
            duration.setValue(rule.duration_s)
            label = QLabel(f"{rule.title} — {rule.what.format(limit='the threshold')}")
            for column, widget in enumerate((enabled, label, threshold, duration)):
                grid.addWidget(widget, row, column)
            self.lines.append((rule, enabled, threshold, duration))
        self.error = QLabel()
        self.error.setStyleSheet("color: #d0342c")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def edited_rules(self) -> list[Rule]:
        return [
            edited(rule, threshold.value(), duration.value(), enabled.isChecked())
            for rule, enabled, threshold, duration in self.lines
        ]

    @asyncSlot()
    async def _save(self) -> None:
        try:
            rules = self.edited_rules()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        await self.alerts.set_rules(rules)
        self.accept()


class AlertsPanel(QWidget):
    nodeOpened = Signal(str)  # show this node's health graphs

    def __init__(self, alerts: AlertService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alerts = alerts
        self.summary = QLabel("No alert is firing.")
        self.rules_button = QPushButton("Rules…")
        self.rules_button.setToolTip("Thresholds and durations of every alert")
        self.active = AlertTableModel()
        self.history = AlertTableModel()
        self.active_view = self._table(self.active, "activeAlerts")
        self.history_view = self._table(self.history, "alertHistory")
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.rules_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(QLabel("Firing now"))
        layout.addWidget(self.active_view, 1)
        layout.addWidget(QLabel("History (double-click a row for the node's health graphs)"))
        layout.addWidget(self.history_view, 2)
        self.rules_button.clicked.connect(self.open_rules)
        alerts.activeChanged.connect(self._active_changed)
        alerts.recorded.connect(lambda _a: self.reload_history())

    def _table(self, model: AlertTableModel, name: str) -> QTableView:
        view = QTableView()
        view.setObjectName(name)
        view.setModel(model)
        view.verticalHeader().hide()
        view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        view.doubleClicked.connect(
            lambda index: self.nodeOpened.emit(model.alerts[index.row()].node)
        )
        return view

    def _active_changed(self, active: list[Alert]) -> None:
        self.active.set_alerts(active)
        if active:
            nodes = len({a.node for a in active})
            self.summary.setText(
                f"{plural(len(active), 'alert')} firing on {plural(nodes, 'node')}."
            )
        else:
            self.summary.setText("No alert is firing.")

    @asyncSlot()
    async def reload_history(self) -> None:
        self.history.set_alerts(await self.alerts.history())

    def open_rules(self) -> RulesDialog:
        dialog = RulesDialog(self.alerts, self)
        dialog.open()
        return dialog

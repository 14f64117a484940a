"""The status bar's connection line: state, node, role, height, peers, mempool, latency."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.health.alerts import Alert
from app.services.alert_service import AlertService
from app.services.node_service import NodeService
from widgets.format import plural

COLOURS = {
    "live": "#2e9e44",
    "connecting": "#d39e00",
    "restarting": "#d39e00",
    "lost": "#d0342c",
    "idle": "#888888",
}


class ConnectionStatus(QWidget):
    def __init__(self, node: NodeService) -> None:
        super().__init__()
        self.node = node
        self.state = QLabel()
        self.name = QLabel()
        self.height = QLabel("height —")
        self.peers = QLabel("peers —")
        self.mempool = QLabel("mempool —")
        self.latency = QLabel("— ms")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        for label in (self.state, self.name, self.height, self.peers, self.mempool, self.latency):
            layout.addWidget(label)
            layout.addSpacing(12)
        layout.addStretch(1)
        node.connectionChanged.connect(self.show_state)
        node.nodeChanged.connect(lambda name: self.name.setText(name))
        node.heightChanged.connect(lambda h: self.height.setText(f"height {h:,}"))
        node.statusChanged.connect(self.show_status)
        node.latencyChanged.connect(lambda ms: self.latency.setText(f"{ms:.0f} ms"))
        self.show_state(node.state, node.detail)

    def show_state(self, state: str, detail: str) -> None:
        colour = COLOURS.get(state, "#888888")
        text = {
            "lost": f"lost — {detail}",
            "connecting": "connecting…",
            "restarting": "restarting…",
        }.get(state, state)
        self.state.setText(f'<span style="color:{colour}">●</span> {text}')
        self.state.setToolTip(detail)

    def show_status(self, status: dict[str, Any]) -> None:
        role = status.get("role", "")
        self.name.setText(f"{self.node.name} ({role})" if role else self.node.name)
        peers = status.get("peerCount", len(status.get("peers") or []))
        self.peers.setText(f"peers {'—' if peers is None else peers}")
        mempool = status.get("mempoolSize", 0)
        self.mempool.setText(f"mempool {'—' if mempool is None else f'{mempool:,}'}")

    def text(self) -> str:
        return " | ".join(
            w.text() for w in (self.state, self.name, self.height, self.peers, self.mempool)
        )


class AlertIndicator(QLabel):
    """How many alerts fire now; a click opens the Alerts tab."""

    clicked = Signal()

    def __init__(self, alerts: AlertService) -> None:
        super().__init__()
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        alerts.activeChanged.connect(self.show_alerts)
        self.show_alerts(alerts.active)

    def show_alerts(self, active: list[Alert]) -> None:
        if not active:
            self.setText('<span style="color:#2e9e44">●</span> no alerts')
            self.setToolTip("No alert is firing")
            return
        self.setText(f'<span style="color:#d0342c">▲</span> {plural(len(active), "alert")}')
        self.setToolTip("\n".join(f"{a.title}: {a.node} — {a.message}" for a in active))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)

"""The Fleet tab: clusters on the left (start a local one, save a remote one), the chosen
cluster's nodes on the right, live."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.fleet.member import MemberState
from app.services.cluster_nodes import NodeActionError
from app.services.connections_service import ProfileError
from app.services.fleet_service import LOCAL, FleetService
from widgets.fleet_table import FleetTableModel


class ClusterDialog(QDialog):
    """Save a cluster of remote nodes: a name, one URL a line, and operator credentials."""

    def __init__(self, fleet: FleetService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fleet = fleet
        self.setWindowTitle("New cluster")
        self.name = QLineEdit()
        self.urls = QPlainTextEdit()
        self.urls.setPlaceholderText("http://10.0.0.5:8645\nhttp://10.0.0.6:8645")
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Nodes (one URL a line)", self.urls)
        form.addRow("Operator user", self.username)
        form.addRow("Password", self.password)
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @asyncSlot()
    async def _save(self) -> None:
        try:
            await self.fleet.save(
                self.name.text(),
                self.urls.toPlainText().splitlines(),
                self.username.text(),
                self.password.text(),
            )
        except ProfileError as exc:
            self.error.setText(str(exc))  # the dialog stays open with everything typed kept
            return
        self.accept()


class FleetPanel(QWidget):
    nodeOpened = Signal(str)  # show this member's health graphs
    exploreWanted = Signal(str)  # show this member in the window (explorer, wallets…)
    logWanted = Signal(str, object)  # a member's name and its log file

    def __init__(self, fleet: FleetService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fleet = fleet
        self.clusters = QListWidget()
        self.clusters.setObjectName("clusterList")
        self.local_name = QLineEdit("Local")
        self.local_name.setToolTip("Name of the local cluster to start")
        self.followers = QSpinBox()
        self.followers.setRange(1, 16)
        self.followers.setValue(2)
        self.followers.setSuffix(" followers")
        self.block_time = QDoubleSpinBox()
        self.block_time.setRange(0, 3600)
        self.block_time.setDecimals(2)
        self.block_time.setSuffix(" s")
        self.block_time.setSpecialValueText("0 s (on demand)")
        self.block_time.setValue(fleet.settings.block_time)
        self.block_time.setToolTip("The cluster's block time (the devnet keeps its own)")
        self.start_button = QPushButton("Start local cluster")
        self.start_button.setToolTip("A producer and N followers on this machine (Ctrl+Shift+L)")
        self.new_button = QPushButton("New cluster…")
        self.stop_button = QPushButton("Stop")
        self.delete_button = QPushButton("Delete")
        self.message = QLabel()
        self.message.setWordWrap(True)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel("Clusters"))
        column.addWidget(self.clusters, 1)
        local_row = QHBoxLayout()
        local_row.addWidget(self.local_name)
        local_row.addWidget(self.followers)
        local_row.addWidget(self.block_time)
        column.addLayout(local_row)
        column.addWidget(self.start_button)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.stop_button, self.delete_button):
            buttons.addWidget(button)
        column.addLayout(buttons)
        column.addWidget(self.message)

        self.model = FleetTableModel()
        self.table = QTableView()
        self.table.setObjectName("fleetTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setToolTip(
            "Double-click a node for its health graphs; right-click (or the menu key) to act on it"
        )
        self.table.doubleClicked.connect(
            lambda index: self.nodeOpened.emit(self.model.states[index.row()].name)
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._node_menu_at)
        QShortcut(QKeySequence("Shift+F10"), self.table, self._node_menu_here)
        QShortcut(QKeySequence(Qt.Key.Key_Menu), self.table, self._node_menu_here)
        self.title = QLabel("Choose a cluster, or start a local one.")
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(self.title)
        right_column.addWidget(self.table, 1)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 1000])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        self.start_button.clicked.connect(self.start_local)
        self.new_button.clicked.connect(self.open_new_cluster)
        self.stop_button.clicked.connect(self.stop_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.clusters.currentItemChanged.connect(self._chosen)
        QShortcut(QKeySequence("Ctrl+Shift+L"), self, self.start_local)
        fleet.clustersChanged.connect(self._fill)
        fleet.fleetUpdated.connect(self._updated)
        fleet.clusterFailed.connect(lambda name, why: self._say(f"{name}: {why}"))
        fleet.clusterStarted.connect(lambda name: self._say(f"{name} is running"))
        fleet.clusterStopped.connect(lambda name: self._fill(fleet.clusters))
        self._fill(fleet.clusters)

    # -- one node's actions --------------------------------------------------------------------
    def selected_node(self) -> MemberState | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.states[rows[0].row()] if rows else None

    def node_menu(self, state: MemberState) -> QMenu:
        """What can be done to one node: every node can be copied, opened and graphed; the nodes
        of a local cluster (ours) can also be stopped, started, restarted and their log read."""
        menu = QMenu(self)
        name = state.name
        ours = self.fleet.nodes.local(name) is not None
        running = state.pid is not None or state.state == "up"
        menu.addAction("Open in the window", lambda: self.exploreWanted.emit(name))
        menu.addAction("Health graphs", lambda: self.nodeOpened.emit(name))
        menu.addAction("Copy URL", lambda: QGuiApplication.clipboard().setText(state.url))
        menu.addSeparator()
        for title, action, enabled in (
            ("Restart", self.restart_node, ours),
            ("Stop", self.stop_node, ours and running),
            ("Start", self.start_node, ours and not running),
        ):
            item = menu.addAction(title, lambda a=action: a(name))
            item.setEnabled(enabled)
        log = menu.addAction(
            "Open log", lambda: self.logWanted.emit(name, self.fleet.nodes.log_path(name))
        )
        log.setEnabled(ours)
        if not ours:
            menu.setToolTipsVisible(True)
            log.setToolTip("Only the nodes of a local cluster are ChainDeck's to act on")
        return menu

    def _node_menu_at(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.selectRow(index.row())
            self.menu = self.node_menu(self.model.states[index.row()])
            self.menu.popup(self.table.viewport().mapToGlobal(pos))

    def _node_menu_here(self) -> None:
        state = self.selected_node()
        if state is not None:
            rect = self.table.visualRect(self.table.currentIndex())
            self.menu = self.node_menu(state)
            self.menu.popup(self.table.viewport().mapToGlobal(rect.center()))

    @asyncSlot(str)
    async def restart_node(self, name: str) -> None:
        await self._node_action(name, "restarting", self.fleet.nodes.restart, "restarted")

    @asyncSlot(str)
    async def stop_node(self, name: str) -> None:
        await self._node_action(name, "stopping", self.fleet.nodes.stop, "stopped")

    @asyncSlot(str)
    async def start_node(self, name: str) -> None:
        await self._node_action(name, "starting", self.fleet.nodes.start, "started")

    async def _node_action(
        self, name: str, doing: str, action: Callable[[str], Awaitable[None]], done: str
    ) -> None:
        self._say(f"{name}: {doing}…")
        try:
            await action(name)
        except NodeActionError as exc:
            self._say(f"{name}: {exc}")
            return
        self._say(f"{name} {done}")

    def _say(self, text: str) -> None:
        self.message.setText(text)

    def selected(self) -> str | None:
        item = self.clusters.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _fill(self, clusters: list[dict[str, Any]]) -> None:
        chosen = self.selected()
        self.clusters.blockSignals(True)
        self.clusters.clear()
        for cluster in clusters:
            name = cluster["name"]
            if cluster["kind"] == LOCAL:
                state = "running" if self.fleet.is_running(name) else "stopped"
                text = f"{name}  (local, 1 + {cluster['followers']}, {state})"
            else:
                text = f"{name}  ({len(cluster['urls'])} nodes)"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.clusters.addItem(item)
            if name == chosen:
                self.clusters.setCurrentItem(item)
        self.clusters.blockSignals(False)
        self._chosen()

    def _chosen(self, *_args: object) -> None:
        name = self.selected()
        self.fleet.watch(name)
        self.title.setText(f"{name}" if name else "Choose a cluster, or start a local one.")
        if name is None:
            self.model.set_states([])

    def _updated(self, name: str, states: list[Any]) -> None:
        if name == self.selected():
            self.model.set_states(states)
            down = sum(1 for s in states if s.state == "down")
            best = max((s.height for s in states), default=-1)
            self.title.setText(f"{name}: {len(states)} nodes, best height {best}, {down} down")

    def start_local(self) -> None:
        """Start the named local cluster; one that runs already is restarted only once the
        user said so (its nodes may be serving someone)."""
        name = self.local_name.text().strip() or "Local"
        if not self.fleet.is_running(name):
            self._start_local(name)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Restart the cluster?",
            f"“{name}” is running. Restart every node of it with "
            f"{self.followers.value()} followers? Their chains are kept.",
            QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.accepted.connect(lambda: self._start_local(name))
        self.confirm_box = box
        box.open()

    @asyncSlot()
    async def _start_local(self, name: str) -> None:
        self.start_button.setEnabled(False)
        self._say(f"starting {name}: a producer and {self.followers.value()} followers…")
        try:
            await self.fleet.start_local(name, self.followers.value(), self.block_time.value())
        finally:
            self.start_button.setEnabled(True)
        self._select(name)

    def _select(self, name: str) -> None:
        for row in range(self.clusters.count()):
            item = self.clusters.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                self.clusters.setCurrentItem(item)

    def open_new_cluster(self) -> ClusterDialog:
        dialog = ClusterDialog(self.fleet, self)
        dialog.open()
        return dialog

    @asyncSlot()
    async def stop_selected(self) -> None:
        name = self.selected()
        if name:
            await self.fleet.stop_local(name)
            self._say(f"{name} stopped")

    @asyncSlot()
    async def delete_selected(self) -> None:
        name = self.selected()
        if name:
            await self.fleet.delete(name)
            self._say(f"{name} deleted")

"""The main window: dashboard, explorer and wallets of the active node, its status always shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.jobs.embedded_node import DevnetSettings
from app.services.alert_service import AlertService
from app.services.connections_service import DEVNET, ConnectionsService
from app.services.dashboard_service import DashboardService
from app.services.deploy_service import DeployService
from app.services.desktop_notifications import AlertNotifier
from app.services.devnet_service import DevnetService
from app.services.explorer_service import ExplorerService
from app.services.fleet_service import FleetService
from app.services.health_service import HealthService
from app.services.load_service import LoadService
from app.services.node_service import NodeService
from app.services.reports_service import ReportsService
from app.services.session_service import SessionService
from app.services.settings_service import SettingsService
from app.services.test_run_service import TestRunService
from app.services.wallet_service import WalletService
from widgets.alerts_panel import AlertsPanel
from widgets.app_icon import app_icon
from widgets.connections_dialog import ConnectionsDialog
from widgets.crash_banner import CrashBanner
from widgets.dashboard_panel import DashboardPanel
from widgets.deploy_panel import DeployPanel
from widgets.explorer_panel import ExplorerPanel
from widgets.fleet_panel import FleetPanel
from widgets.health_panel import HealthPanel
from widgets.help_dialogs import AboutDialog, ShortcutsDialog
from widgets.load_panel import LoadPanel
from widgets.log_viewer import LogViewer
from widgets.node_settings_dialog import NodeSettingsDialog
from widgets.status_bar import AlertIndicator, ConnectionStatus
from widgets.tests_panel import TestsPanel
from widgets.theme import THEMES, apply_theme
from widgets.tray import Tray
from widgets.wallets_panel import WalletsPanel

# Ctrl+1… in this order; new tabs go at the end so the shortcuts people know stay put.
TABS = (
    "Dashboard",
    "Explorer",
    "Wallets",
    "Tests",
    "Fleet",
    "Health",
    "Alerts",
    "Load",
    "Deploy",
)


class MainWindow(QMainWindow):
    closing = Signal()  # the user closed the window: the composition root shuts down

    def __init__(
        self,
        *,
        settings: SettingsService,
        node: NodeService,
        devnet: DevnetService,
        session: SessionService,
        connections: ConnectionsService,
        wallets: WalletService,
        explorer: ExplorerService,
        dashboard: DashboardService,
        tests: TestRunService,
        load: LoadService,
        deploy: DeployService,
        reports: ReportsService,
        fleet: FleetService,
        health: HealthService,
        alerts: AlertService,
        notifier: AlertNotifier,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.node = node
        self.devnet = devnet
        self.session = session
        self.connections = connections
        self.fleet = fleet
        self.paths = devnet.paths
        self.reports = reports
        reports.reportOpened.connect(lambda text: self.statusBar().showMessage(text, 15000))
        reports.reportRefused.connect(
            lambda why: QMessageBox(
                QMessageBox.Icon.Warning, "Open report", why, parent=self
            ).open()
        )
        self.setWindowTitle("ChainDeck")
        self.resize(1280, 800)

        self.dashboard_panel = DashboardPanel(dashboard)
        self.explorer_panel = ExplorerPanel(node, explorer)
        self.wallets_panel = WalletsPanel(wallets)
        self.tests_panel = TestsPanel(tests)
        self.load_panel = LoadPanel(load)
        self.deploy_panel = DeployPanel(deploy, [c["name"] for c in fleet.clusters])
        self.fleet_panel = FleetPanel(fleet)
        self.health_panel = HealthPanel(health)
        self.alerts_panel = AlertsPanel(alerts)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.dashboard_panel, "Dashboard")
        self.tabs.addTab(self.explorer_panel, "Explorer")
        self.tabs.addTab(self.wallets_panel, "Wallets")
        self.tabs.addTab(self.tests_panel, "Tests")
        self.tabs.addTab(self.fleet_panel, "Fleet")
        self.tabs.addTab(self.health_panel, "Health")
        self.tabs.addTab(self.alerts_panel, "Alerts")
        self.tabs.addTab(self.load_panel, "Load")
        self.tabs.addTab(self.deploy_panel, "Deploy")
        # Deployment moments on every time axis: a spike traced to the step that caused it.
        deploy.marksChanged.connect(self.health_panel.set_marks)
        deploy.marksChanged.connect(self.load_panel.set_marks)
        self.crash = CrashBanner()
        self.crash.restart.clicked.connect(self._restart_devnet)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.crash)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.status = ConnectionStatus(node)
        self.statusBar().addPermanentWidget(self.status, 1)
        self.devnet_state = QLabel()
        self.statusBar().addPermanentWidget(self.devnet_state)
        self.alert_indicator = AlertIndicator(alerts)
        self.alert_indicator.clicked.connect(lambda: self.tabs.setCurrentWidget(self.alerts_panel))
        self.statusBar().addPermanentWidget(self.alert_indicator)
        self.setWindowIcon(app_icon())
        self._quitting = False
        self.tray = Tray(self.settings, self)
        self.keep_monitoring = self.tray.keep_monitoring
        self.tray.showWanted.connect(self.show_window)
        self.tray.alertsWanted.connect(self._raise_alerts)
        self.tray.quitWanted.connect(self.quit_app)
        alerts.activeChanged.connect(self.tray.alerts_changed)
        notifier.undelivered.connect(self.tray.notify)
        self.alerts_panel.nodeOpened.connect(self.show_health)
        self.fleet_panel.nodeOpened.connect(self.show_health)
        self.fleet_panel.exploreWanted.connect(self.explore_node)
        self.fleet_panel.logWanted.connect(self.open_log)
        for changed in (fleet.clustersChanged, fleet.clusterStarted, fleet.clusterStopped):
            changed.connect(lambda *_a: self._fill_picker())

        self.node_picker = QComboBox()
        self.node_picker.setMinimumWidth(220)
        self.node_picker.setToolTip("The node this window shows")
        self._fill_picker()
        self.node_picker.activated.connect(self._picked)
        toolbar = QToolBar("Node")
        toolbar.setObjectName("nodeToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(QLabel(" Node: "))
        toolbar.addWidget(self.node_picker)
        self.addToolBar(toolbar)
        self._build_menus()

        self.wallets_panel.addressOpened.connect(self.show_address)
        self.wallets_panel.transactionOpened.connect(self.show_transaction)
        devnet.stateChanged.connect(self._devnet_state)
        devnet.crashed.connect(
            lambda code, tail: self.crash.show_crash(
                f"The devnet node stopped (exit {code}).", tail
            )
        )
        devnet.failed.connect(
            lambda reason, tail: self.crash.show_crash(f"The devnet did not start: {reason}", tail)
        )
        devnet.started.connect(lambda _ready: self.crash.hide())
        session.activeChanged.connect(self._active_changed)
        connections.profilesChanged.connect(lambda _p: self._fill_picker())
        self._devnet_state(devnet.state)
        self.restore_geometry()

    # -- menus and shortcuts -----------------------------------------------------------------
    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&Connections…", self.open_connections, "Ctrl+L")
        self._action(file, "Open &report…", self.choose_report, "Ctrl+Shift+O")
        file.addSeparator()
        self._action(file, "&Quit", self.quit_app, QKeySequence.StandardKey.Quit)
        self.quit_action = file.actions()[-1]
        self.quit_action.setShortcuts([QKeySequence("Ctrl+Q")])
        go = bar.addMenu("&Go")
        self.search_action = self._action(go, "&Search…", self.focus_search, ["Ctrl+K", "Ctrl+F"])
        self.send_action = self._action(go, "Se&nd…", self.open_send, "Ctrl+N")
        self._action(go, "&Transactions", self.show_transactions, "Ctrl+T")
        go.addSeparator()
        for i, name in enumerate(TABS, start=1):
            self._action(
                go, name, lambda _c=False, i=i: self.tabs.setCurrentIndex(i - 1), f"Ctrl+{i}"
            )
        node = bar.addMenu("&Node")
        self._action(node, "Devnet &settings…", self.open_settings, "Ctrl+,")
        self._action(node, "&Restart devnet", self._restart_devnet, "Ctrl+Shift+R")
        self._action(node, "Reset devnet (new chain)…", self.confirm_reset)
        self._action(node, "&Mine a block", self._mine, "Ctrl+M")
        node.addSeparator()
        self._action(node, "Copy devnet &URL", self.copy_devnet_url, "Ctrl+Shift+U")
        self._action(node, "Copy &operator password", self.copy_operator_password)
        self._action(node, "Devnet &log", self.open_devnet_log, "Ctrl+Shift+G")
        view = bar.addMenu("&View")
        themes = QActionGroup(self)
        current = self.settings.get("theme", "system")
        for name in THEMES:
            action = self._action(
                view, name.capitalize(), lambda _c=False, n=name: self.set_theme(n)
            )
            action.setCheckable(True)
            action.setChecked(name == current)
            themes.addAction(action)
        view.addSeparator()
        view.addAction(self.keep_monitoring)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "F1")
        self._action(help_menu, "Open &logs folder", lambda: self._open_folder(self.paths.logs))
        self._action(help_menu, "Open &data folder", lambda: self._open_folder(self.paths.root))
        help_menu.addSeparator()
        self._action(help_menu, "&About ChainDeck", self.show_about)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.menuBar(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_about(self) -> AboutDialog:
        dialog = AboutDialog(self.paths, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _open_folder(self, folder: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- the window --------------------------------------------------------------------------
    def show_window(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def _raise_alerts(self) -> None:
        self.show_window()
        self.tabs.setCurrentWidget(self.alerts_panel)

    def show_health(self, node: str) -> None:
        self.health_panel.show_node(node)
        self.tabs.setCurrentWidget(self.health_panel)

    # -- actions -----------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.explorer_panel)
        self.explorer_panel.focus_search()

    def open_send(self) -> Any:
        self.tabs.setCurrentWidget(self.wallets_panel)
        return self.wallets_panel.open_send()

    def show_transactions(self) -> None:
        self.tabs.setCurrentWidget(self.explorer_panel)
        self.explorer_panel.show_transactions()

    def open_devnet_log(self) -> LogViewer:
        return self.open_log("devnet", self.devnet.log_path)

    def open_log(self, title: str, path: Path) -> LogViewer:
        viewer = LogViewer(title, path, self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.open()
        return viewer

    def show_address(self, address: str) -> None:
        self.tabs.setCurrentWidget(self.explorer_panel)
        self.explorer_panel._open("address", address)

    def show_transaction(self, tx_hash: str) -> None:
        self.tabs.setCurrentWidget(self.explorer_panel)
        self.explorer_panel._open("transaction", tx_hash)

    def set_plots_dark(self, dark: bool) -> None:
        self.dashboard_panel.set_dark(dark)
        self.health_panel.set_dark(dark)
        self.load_panel.set_dark(dark)

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        shown = apply_theme(app, name)
        self.set_plots_dark(shown == "dark")
        self.settings.set("theme", name)

    def open_connections(self) -> ConnectionsDialog:
        dialog = ConnectionsDialog(self.connections, self)
        dialog.connectRequested.connect(self._use_profile)
        dialog.open()
        return dialog

    def choose_report(self) -> QFileDialog:
        """A pipeline's report folder (a CI artefact) into the histories."""
        dialog = QFileDialog(self, "Open a pipeline's report folder")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(lambda name: self.open_report(Path(name)))
        dialog.open()
        return dialog

    def _copy(self, text: str | None, what: str) -> None:
        if text is None:
            self.statusBar().showMessage("the devnet is not running", 5000)
            return
        QApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"copied the {what}", 5000)

    def copy_devnet_url(self) -> None:
        """For scripts and `curl`: the devnet keeps this port across restarts."""
        self._copy(self.devnet.url, f"devnet URL ({self.devnet.url})")

    def copy_operator_password(self) -> None:
        """The devnet's operator (user `operator`), also in its data dir's 0600 file."""
        self._copy(self.devnet.operator_password, "operator password (user: operator)")

    def _report_refused(self, why: str) -> None:
        QMessageBox(QMessageBox.Icon.Warning, "Open report", why, parent=self).open()

    @asyncSlot()
    async def open_report(self, folder: Path) -> None:
        counts = await self.reports.open_report(folder)
        if counts is None:
            return
        await self.tests_panel.reload_history()
        await self.load_panel.reload_history()
        await self.deploy_panel.reload_history()
        # The first of its kinds on screen: tests, else load, else the deployment.
        for kind, panel in (
            ("deploy", self.deploy_panel),
            ("load", self.load_panel),
            ("test", self.tests_panel),
        ):
            if counts.get(kind):
                self.tabs.setCurrentWidget(panel)

    def open_settings(self) -> NodeSettingsDialog:
        dialog = NodeSettingsDialog(self.devnet.settings, self)
        dialog.applied.connect(self._confirm_settings)
        dialog.open()
        return dialog

    def _confirm(self, title: str, text: str, then: Any) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel)
        box.accepted.connect(then)
        box.open()
        return box

    def _confirm_settings(self, settings: DevnetSettings) -> None:
        self._confirm(
            "Restart the devnet?",
            "The devnet node restarts with the new settings. Its chain is kept.",
            lambda: self._apply_settings(settings),
        )

    @asyncSlot(object)
    async def _apply_settings(self, settings: DevnetSettings) -> None:
        self.settings.set("devnet", settings.__dict__)
        await self.devnet.restart(settings)

    def confirm_reset(self) -> QMessageBox:
        return self._confirm(
            "Reset the devnet?",
            "This deletes the devnet's chain: every block, transaction and wallet it holds. "
            "A new chain starts with the dev accounts.",
            self._reset_devnet,
        )

    @asyncSlot()
    async def _reset_devnet(self) -> None:
        await self.devnet.reset()

    @asyncSlot()
    async def _restart_devnet(self) -> None:
        self.crash.hide()
        await self.devnet.restart()

    @asyncSlot()
    async def _mine(self) -> None:
        problem = await self.node.mine(1)
        if problem:
            self.statusBar().showMessage(f"Could not mine: {problem}", 8000)

    def _fill_picker(self) -> None:
        current = self.session.active
        self.node_picker.blockSignals(True)
        self.node_picker.clear()
        self.node_picker.addItem(DEVNET)
        for profile in self.connections.profiles:
            self.node_picker.addItem(profile["name"])
        members = self.fleet.nodes.names()
        if members:
            self.node_picker.insertSeparator(self.node_picker.count())
            self.node_picker.addItems(members)  # a cluster's nodes, each one a node to show
        if current and self.node_picker.findText(current) < 0:
            self.node_picker.addItem(current)  # a node of a cluster stopped meanwhile
        self.node_picker.blockSignals(False)
        index = self.node_picker.findText(current)
        if index >= 0:
            self.node_picker.setCurrentIndex(index)

    def explore_node(self, name: str) -> None:
        """Show a cluster's node in the window (explorer, wallets, dashboard)."""
        self.tabs.setCurrentWidget(self.explorer_panel)
        self._use_profile(name)

    def _picked(self, index: int) -> None:
        self._use_profile(self.node_picker.itemText(index))

    @asyncSlot(str)
    async def _use_profile(self, name: str) -> None:
        await self.session.use_profile(name)

    def _active_changed(self, name: str) -> None:
        index = self.node_picker.findText(name)
        if index >= 0:
            self.node_picker.setCurrentIndex(index)

    def _devnet_state(self, state: str) -> None:
        self.devnet_state.setText(f"devnet: {state}")

    # -- geometry ----------------------------------------------------------------------------
    def restore_geometry(self) -> None:
        saved = self.settings.get("geometry")
        if saved:
            self.restoreGeometry(QByteArray.fromBase64(saved.encode()))
            self.restoreState(QByteArray.fromBase64(self.settings.get("state", "").encode()))

    def save_geometry(self) -> None:
        self.settings.set("geometry", bytes(self.saveGeometry().toBase64().data()).decode())
        self.settings.set("state", bytes(self.saveState().toBase64().data()).decode())

    def stop_timers(self) -> None:
        self.explorer_panel.stop()
        self.dashboard_panel.stop()

    def quit_app(self) -> None:
        """Quit for real, whatever "keep monitoring" says (File ▸ Quit, the tray, SIGTERM)."""
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tray.keeps_monitoring() and not self._quitting:
            event.ignore()  # the window goes, the monitoring (and the tray) stays
            self.hide()
            self.tray.window_hidden()
            return
        self.save_geometry()
        self.stop_timers()
        self.closing.emit()
        event.accept()

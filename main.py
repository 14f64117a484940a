"""ChainDeck's composition root: `python main.py` is `chaindeck gui` (shared/spec/cli.md).

Builds the QApplication, the services and the window; runs the qasync loop; starts services
inside the running loop; on quit stops them in order (subscriptions, then the embedded node),
each within a time limit.
"""

from __future__ import annotations

import os

# Pin the Qt binding before anything imports pyqtgraph or qasync.
os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import argparse
import asyncio
import contextlib
import gc
import logging
import multiprocessing
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger("chaindeck")
STOP_LIMIT = 15.0


@dataclass
class Options:
    profile: str | None = None
    embedded: bool = True
    data_dir: Path | None = None
    ephemeral: bool = False  # tests and benchmarks: the devnet's chain in a temporary dir


def parse_gui_args(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="chaindeck gui", description="The ChainDeck window.")
    parser.add_argument("--profile", metavar="NAME", help="connect to this saved connection")
    parser.add_argument(
        "--no-embedded", action="store_true", help="do not start the embedded devnet"
    )
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="the app's data directory")
    args = parser.parse_args(argv)
    return Options(profile=args.profile, embedded=not args.no_embedded, data_dir=args.data_dir)


class Composition:
    """Every service and the window, wired. Tests and benchmarks build the same thing."""

    def __init__(self, options: Options) -> None:
        from app.jobs.embedded_node import DevnetSettings
        from app.jobs.runner import JobRunner
        from app.paths import AppPaths
        from app.resources import resource_root
        from app.services.alert_service import AlertService
        from app.services.connections_service import DEVNET, ConnectionsService
        from app.services.dashboard_service import DashboardService
        from app.services.deploy_service import DeployService
        from app.services.desktop_notifications import AlertNotifier
        from app.services.devnet_service import DevnetService
        from app.services.explorer_service import ExplorerService
        from app.services.fleet_service import FleetService
        from app.services.health_service import HealthService
        from app.services.lifecycle import Service
        from app.services.load_service import LoadService
        from app.services.node_service import NodeService
        from app.services.reports_service import ReportsService
        from app.services.run_targets import run_target_resolver
        from app.services.runs_service import RunsService
        from app.services.session_service import SessionService
        from app.services.settings_service import SettingsService
        from app.services.test_run_service import TestRunService
        from app.services.wallet_service import WalletService
        from app.storage.alert_store import AlertStore
        from app.storage.app_db import AppDb
        from app.storage.clusters import ClusterStore
        from app.storage.deploy_runs import DeployRunStore
        from app.storage.load_runs import LoadRunStore
        from app.storage.metrics_store import MetricsStore
        from app.storage.runs import RunStore
        from app.storage.test_runs import TestRunStore
        from widgets.main_window import MainWindow

        self.options = options
        self.paths = AppPaths.at(options.data_dir)
        self.db = AppDb(self.paths.database)
        self.settings = SettingsService(self.db)
        self.runs = RunsService(RunStore(self.db), JobRunner())  # one queue per target
        self.runner = self.runs.runner
        self.node = NodeService()
        devnet = DevnetSettings.from_dict(self.settings.get("devnet"))
        self.devnet = DevnetService(self.paths, devnet, ephemeral=options.ephemeral)
        self.fleet = FleetService(ClusterStore(self.db), self.paths, devnet)
        self.fleet.follow_devnet(self.devnet)
        self.metrics = MetricsStore(self.paths.metrics)
        self.health = HealthService(self.fleet, self.metrics)
        self.alerts = AlertService(self.fleet, self.health, AlertStore(self.db))
        self.connections = ConnectionsService(self.db)
        self.session = SessionService(
            self.node, self.devnet, self.connections, cluster_nodes=self.fleet.nodes
        )
        self.wallets = WalletService(
            self.node,
            dev_seed=lambda: (
                self.devnet.settings.dev_seed if self.session.active == DEVNET else None
            ),
        )
        self.explorer = ExplorerService(self.node)
        self.dashboard = DashboardService(self.node, self.health, lambda: self.devnet.pid)
        self.tests = TestRunService(
            TestRunStore(self.db),
            self.paths.logs,
            self.node,
            self.connections,
            self.fleet,
            self.settings,
            self.runner,
        )
        self.load = LoadService(
            LoadRunStore(self.db),
            self.paths.logs,
            run_target_resolver(self.node, self.connections, self.fleet),
            self.runner,
            self.health,
            self.fleet,
        )
        self.deploy = DeployService(DeployRunStore(self.db), self.paths, self.fleet, self.runner)
        self.reports = ReportsService(
            TestRunStore(self.db), LoadRunStore(self.db), DeployRunStore(self.db)
        )
        self.notifier = AlertNotifier(self.alerts, resource_root() / "icons" / "chaindeck-128.png")
        self.connections.profilesChanged.connect(lambda _p: self.load.targetsChanged.emit())
        self.fleet.clustersChanged.connect(lambda _c: self.load.targetsChanged.emit())
        # Started in this order, stopped in the reverse: runs, then what watches nodes, then the
        # active node's subscription, then the embedded node, and the settings' last writes.
        self.services: tuple[Service, ...] = (
            self.settings,
            self.runs,
            self.devnet,
            self.node,
            self.wallets,
            self.explorer,
            self.connections,
            self.session,
            self.health,
            self.alerts,
            self.fleet,
            self.dashboard,
            self.tests,
            self.load,
            self.deploy,
            self.notifier,
        )
        self.window = MainWindow(
            settings=self.settings,
            node=self.node,
            devnet=self.devnet,
            session=self.session,
            connections=self.connections,
            wallets=self.wallets,
            explorer=self.explorer,
            dashboard=self.dashboard,
            tests=self.tests,
            load=self.load,
            deploy=self.deploy,
            reports=self.reports,
            fleet=self.fleet,
            health=self.health,
            alerts=self.alerts,
            notifier=self.notifier,
        )

    async def start(self) -> None:
        """Inside the running loop, after the window is up."""
        for service in self.services:
            await service.start()
        await self.window.tests_panel.reload_history()
        await self.window.load_panel.reload_history()
        await self.window.deploy_panel.reload_history()
        self.window.alerts_panel.reload_history()
        if self.options.profile:
            await self.session.use_profile(self.options.profile)
        elif self.options.embedded:
            await self.session.use_devnet()

    async def stop(self) -> None:
        """Every service in the reverse order of its start, each bounded in time."""
        self.window.stop_timers()
        for service in reversed(self.services):
            try:
                await asyncio.wait_for(service.stop(), STOP_LIMIT)
            except TimeoutError:
                log.error("%s did not stop in %.0f s", type(service).__name__, STOP_LIMIT)
        self.metrics.close()
        self.db.close()


def report_error(message: str, detail: str = "") -> None:
    """The one notification path: log, status bar, dialog."""
    log.error("%s\n%s", message, detail)
    app = QApplication.instance()
    window = (
        next((w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"), None)
        if app
        else None
    )
    if window is not None:
        window.statusBar().showMessage(message, 15000)  # type: ignore[attr-defined]
        box = QMessageBox(QMessageBox.Icon.Critical, "ChainDeck", message, parent=window)
        box.setDetailedText(detail)
        box.open()


def install_error_hooks(loop: asyncio.AbstractEventLoop) -> None:
    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        report_error(
            f"Unexpected error: {value}", "".join(traceback.format_exception(kind, value, tb))
        )

    def loop_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        detail = "".join(traceback.format_exception(exc)) if exc else ""
        report_error(f"{context.get('message', 'Error')}: {exc or ''}", detail)

    sys.excepthook = excepthook
    loop.set_exception_handler(loop_handler)


def run_gui(options: Options) -> int:
    import qasync

    from app import logs
    from app.paths import AppPaths
    from widgets.theme import apply_theme

    logs.setup(AppPaths.at(options.data_dir))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ChainDeck")
    app.setOrganizationName("ChainDeck")
    app.setDesktopFileName("chaindeck")
    from widgets.app_icon import app_icon

    app.setWindowIcon(app_icon())
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    install_error_hooks(loop)
    try:
        composition = Composition(options)
    except Exception as exc:  # a damaged app database, an unwritable data dir
        print(f"chaindeck gui: {exc}", file=sys.stderr)
        return 2
    shown = apply_theme(app, composition.settings.get("theme", "system"))
    composition.window.setObjectName("mainWindow")
    composition.window.set_plots_dark(shown == "dark")
    closed = asyncio.Event()
    composition.window.closing.connect(closed.set)
    app.setQuitOnLastWindowClosed(False)  # we quit after the ordered shutdown below
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl+C in the terminal: same ordered shutdown
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, composition.window.quit_app)

    async def main(composition: Composition) -> None:
        composition.window.show()
        starting = asyncio.create_task(composition.start(), name="start")
        await closed.wait()
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        await composition.stop()

    with loop:
        loop.run_until_complete(main(composition))
    # Tear the widgets down while Python is still whole: left to interpreter finalisation,
    # PySide6 can crash the process on its way out.
    composition.window.deleteLater()
    del composition
    app.processEvents()
    gc.collect()
    return 0


def gui_command(argv: list[str]) -> int:
    """`chaindeck gui [options]` (app/cli/commands.py names it)."""
    return run_gui(parse_gui_args(argv))


def entry(argv: list[str] | None = None) -> int:
    """`python main.py [gui options]` and the bundle's executable: the same one entry point as
    `chaindeck`, so no arguments do the same from source and from the bundle."""
    multiprocessing.freeze_support()  # the bundle's node spawns verifier processes through us
    from app.cli.main import main as cli_main

    argv = sys.argv[1:] if argv is None else argv
    if getattr(sys, "frozen", False):
        return cli_main(argv)
    return cli_main(argv if argv and argv[0] in _commands() else ["gui", *argv])


def _commands() -> set[str]:
    from app.cli.commands import BY_NAME

    return {*BY_NAME, "-h", "--help", "--version"}


if __name__ == "__main__":
    sys.exit(entry())

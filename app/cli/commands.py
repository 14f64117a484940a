"""Every `chaindeck` command, in one list: its name, its one-line help, and where it lives
(imported only when run, so `chaindeck status` never loads Qt and `chaindeck gui` never loads
the node). `gui` lives in main.py, the composition root above every layer: it is named here as
a string, the only way app/ may point at it."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    target: str  # "module:function", the function taking argv and returning an exit code
    listed: bool = True

    def load(self) -> Callable[[list[str]], int]:
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


COMMANDS: tuple[Command, ...] = (
    Command("gui", "the desktop app (the default when a display is there)", "main:gui_command"),
    Command("node", "run a node in the foreground", "app.cli.node_command:run_node"),
    Command("status", "one status snapshot of a node", "app.cli.status_command:run_status"),
    Command("watch", "follow new blocks live", "app.cli.status_command:run_watch"),
    Command("test", "run a test suite against a node", "app.cli.test_command:run_test"),
    Command("load", "run a load test against a node or cluster", "app.cli.load_command:run_load"),
    Command(
        "cluster",
        "local clusters as background processes: up, status, down",
        "app.cli.cluster_command:run_cluster",
    ),
    Command(
        "deploy",
        "run a deployment plan with gates and automatic rollback",
        "app.cli.deploy_command:run_deploy",
    ),
    Command(
        "pipeline",
        "the headless mode for CI: cluster, test, load and deploy stages, with reports",
        "app.cli.pipeline_command:run_pipeline",
    ),
    Command(
        "load-worker",
        "join a load run's master from another machine",
        "app.load.locustfiles.run:run_load_worker",
    ),
    # The bundle runs test runs and load runs through its own executable (app/resources).
    Command("pytest", "pytest itself", "app.cli.pytest_command:run_pytest", listed=False),
    Command("locust", "Locust itself", "app.load.locustfiles.run:run_locust", listed=False),
)
BY_NAME = {c.name: c for c in COMMANDS}


def has_display() -> bool:
    """Whether a window can open: always on macOS and Windows; on Linux and BSD, an X or
    Wayland display (or Qt told where to draw, as the offscreen tests do)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))

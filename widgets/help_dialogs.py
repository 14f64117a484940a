"""Help ▸ Keyboard shortcuts and Help ▸ About: what the window answers to, and what it runs."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

import PySide6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.paths import AppPaths

# Shortcuts of the panels (not menu actions), as each panel binds them.
PANEL_KEYS = (
    ("Tests", "F5 / Ctrl+F5 / Shift+F5", "Run / re-run failed / cancel"),
    ("Fleet", "Ctrl+Shift+L", "Start a local cluster"),
    ("Fleet", "Menu key or Shift+F10", "Actions on the chosen node"),
    ("Health", "Home", "Back to live"),
    ("Health", "Alt+1 … Alt+4", "Time range"),
)
VERSIONED = ("chaindeck", "pyqtgraph", "qasync", "httpx", "locust", "fastapi", "uvicorn")


def menu_shortcuts(bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, keys, action) for every menu action that has keys, in menu order."""
    found = []
    for menu_action in bar.actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        title = menu_action.text().replace("&", "")
        for action in menu.actions():
            if isinstance(action, QAction) and action.shortcuts():
                keys = " / ".join(k.toString() for k in action.shortcuts())
                found.append((title, keys, action.text().replace("&", "").rstrip("…")))
    return found


class ShortcutsDialog(QDialog):
    def __init__(self, bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [*menu_shortcuts(bar), *PANEL_KEYS]
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(("Where", "Keys", "Does"))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 560)


def versions() -> list[tuple[str, str]]:
    found = [("Python", platform.python_version()), ("Qt (PySide6)", PySide6.__version__)]
    for name in VERSIONED:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, "not installed"))
    return found


def about_text(paths: AppPaths) -> str:
    rows = "".join(f"<tr><td>{name}</td><td>{version}</td></tr>" for name, version in versions())
    return (
        "<h3>ChainDeck</h3><p>A control room for blockchain nodes: a devnet to script "
        "against, fleets, health, alerts, tests, load tests and deployments.</p>"
        f"<table>{rows}</table>"
        f"<p>System: {platform.system()} {platform.release()} ({sys.platform})<br>"
        f"Data: {paths.root}<br>Logs: {paths.logs}</p>"
        "<p>MIT licence. The contracts it is built to are in docs/spec/.</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About ChainDeck")
        self.text = QLabel(about_text(paths))
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)

"""Light and dark themes: Fusion with a palette, following the system unless the user chose."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.resources import resource_path

THEMES = ("system", "light", "dark")


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    p = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#1f2124",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#232528",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#2a2d31",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3d7bd9",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2a2d31",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.Link: "#6ea8ff",
        QPalette.ColorRole.PlaceholderText: "#8b8f96",
        QPalette.ColorRole.Mid: "#3a3d42",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b6f75"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b6f75"))
    return p


def apply_theme(app: QApplication, choice: str) -> str:
    """Apply `choice` (system | light | dark); returns the theme now showing."""
    dark = system_is_dark() if choice == "system" else choice == "dark"
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(resource_path("themes", "base.qss").read_text())
    pg.setConfigOptions(
        antialias=False,
        background="#17181a" if dark else "w",
        foreground="#c8c8c8" if dark else "#333333",
    )
    return "dark" if dark else "light"


# Colours that mean something, in one place: plots, run statuses and test outcomes.
SERIES_PENS = ("#3d7bd9", "#d9822b", "#2e9e6b", "#9b59b6")
PLOT_BACKGROUND = {True: "#17181a", False: "w"}  # dark → background
STATUS_COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "error": "#ad1457",
    "skipped": "#8a8a8a",
    "n/a": "#8a8a8a",
    "queued": "#8a8a8a",
    "QUEUED": "#8a8a8a",
    "SUCCEEDED": "#2e7d32",
    "FAILED": "#c62828",
    "CANCELLED": "#b26a00",
    "INTERRUPTED": "#b26a00",
    "RUNNING": "#3d7bd9",
    "inconclusive": "#b26a00",
    "succeeded": "#2e7d32",
    "rolled_back": "#b26a00",
    "aborted": "#b26a00",
    "rollback_failed": "#b71c1c",
}
MARK_PEN = "#9b59b6"  # deployment moments on time axes
NEUTRAL = "#8a8a8a"

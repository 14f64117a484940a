"""The tray icon: its menu, alerts no desktop notification service took, the alert count in its
tooltip, and "keep monitoring when the window closes" (the window hides, the tray stays)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from app.health.alerts import Alert
from app.services.settings_service import SettingsService
from widgets.app_icon import app_icon


class Tray(QObject):
    showWanted = Signal()
    alertsWanted = Signal()
    quitWanted = Signal()

    def __init__(self, settings: SettingsService, window: QWidget) -> None:
        super().__init__(window)
        self.settings = settings
        self.window = window
        self.notifications: list[tuple[str, str]] = []  # what the tray was asked to show
        self.keep_monitoring = QAction("Keep monitoring when the window closes", window)
        self.keep_monitoring.setCheckable(True)
        self.keep_monitoring.setChecked(bool(settings.get("keep_monitoring", False)))
        self.keep_monitoring.toggled.connect(lambda on: settings.set("keep_monitoring", on))
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.use_icon(QSystemTrayIcon(app_icon(), window))

    def use_icon(self, icon: QSystemTrayIcon) -> None:
        """Show `icon` as the tray (a test gives one where offscreen Qt has no tray)."""
        self.icon = icon
        icon.setToolTip("ChainDeck: no alerts")
        icon.activated.connect(self._clicked)
        icon.setContextMenu(self._menu())
        icon.show()

    def _menu(self) -> QMenu:
        menu = QMenu(self.window)
        menu.addAction("Show ChainDeck", self.showWanted.emit)
        menu.addAction("Alerts", self.alertsWanted.emit)
        menu.addSeparator()
        menu.addAction(self.keep_monitoring)
        menu.addSeparator()
        menu.addAction("Quit ChainDeck", self.quitWanted.emit)
        return menu

    def _clicked(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason != QSystemTrayIcon.ActivationReason.Context:
            self.showWanted.emit()

    def notify(self, title: str, text: str, firing: bool) -> None:
        """An alert no desktop notification service took: the tray shows it."""
        self.notifications.append((title, text))
        del self.notifications[:-50]
        if self.icon is not None:
            kind = QSystemTrayIcon.MessageIcon
            icon = kind.Warning if firing else kind.Information
            self.icon.showMessage(title, text, icon, 8000)

    def alerts_changed(self, active: list[Alert]) -> None:
        if self.icon is not None:
            count = len(active)
            self.icon.setToolTip(
                f"ChainDeck: {count} alert{'s' if count != 1 else ''}"
                if count
                else "ChainDeck: no alerts"
            )

    def keeps_monitoring(self) -> bool:
        """Whether closing the window only hides it: asked for, and a tray to come back from."""
        return self.keep_monitoring.isChecked() and self.icon is not None

    def window_hidden(self) -> None:
        """Said once: where the window went and how to quit."""
        if self.icon is None or self.settings.get("told_about_tray", False):
            return
        self.settings.set("told_about_tray", True)
        self.icon.showMessage(
            "ChainDeck keeps monitoring",
            "Alerts still reach you. The tray icon brings the window back; quit from its menu.",
            QSystemTrayIcon.MessageIcon.Information,
            8000,
        )

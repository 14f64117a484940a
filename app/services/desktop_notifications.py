"""Alerts as the platform's own notifications (desktop-notifier: D-Bus on Linux, the
notification centre on macOS and Windows), so they reach a desktop that has no tray, such as
GNOME without extensions. Where no notification service answers, `send` says so and the
window falls back to its tray."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.health.alerts import Alert
from app.services.alert_service import AlertService
from app.services.lifecycle import Lifecycle
from app.tasks import cancel_all, spawn

log = logging.getLogger("chaindeck.notifications")
SEND_LIMIT_S = 5.0


def session_bus_reachable() -> bool:
    """Linux desktops deliver notifications over the D-Bus session bus; without one (a server,
    CI, a bare X session) there is no one to deliver them."""
    if not sys.platform.startswith("linux"):
        return True
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return bool(runtime) and (Path(runtime) / "bus").exists()


class DesktopNotifications:
    def __init__(self, icon: Path | None = None) -> None:
        self.icon = icon
        self._notifier: object | None = None
        self._warned = False

    async def send(self, title: str, text: str, *, urgent: bool = False) -> bool:
        """True once the platform's service took the notification."""
        if not session_bus_reachable():
            return False
        from desktop_notifier import DesktopNotifier, Icon, Notification, Urgency

        if self._notifier is None:
            # Its failures are logged by it with a traceback each time: we say it once.
            logging.getLogger("desktop_notifier").setLevel(logging.ERROR)
            icon = Icon(path=self.icon) if self.icon is not None else None
            self._notifier = DesktopNotifier(app_name="ChainDeck", app_icon=icon)
        dispatched = asyncio.Event()
        notification = Notification(
            title=title,
            message=text,
            urgency=Urgency.Critical if urgent else Urgency.Normal,
            on_dispatched=dispatched.set,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self._notifier.send_notification(notification),  # type: ignore[attr-defined]
                SEND_LIMIT_S,
            )
        if not dispatched.is_set() and not self._warned:
            self._warned = True
            log.warning("no desktop notification service answered; alerts go to the tray")
        return dispatched.is_set()


class AlertNotifier(QObject, Lifecycle):
    """Every alert that fires or resolves, as a desktop notification; `undelivered` hands the
    ones no notification service took to the window's tray."""

    undelivered = Signal(str, str, bool)  # title, text, firing

    def __init__(self, alerts: AlertService, icon: Path | None = None) -> None:
        super().__init__()
        self.desktop = DesktopNotifications(icon)
        self.sent: list[tuple[str, str]] = []  # what was delivered, newest last
        self._tasks: list[asyncio.Task[Any]] = []
        alerts.alertFired.connect(self._alert)
        alerts.alertResolved.connect(self._alert)

    def _alert(self, alert: Alert) -> None:
        title = f"{alert.title}: {alert.node}" if alert.firing else f"Resolved: {alert.title}"
        text = alert.message if alert.firing else f"{alert.node} is back to normal"
        spawn(self._tasks, self._send(title, text, alert.firing), "alert-notification")

    async def _send(self, title: str, text: str, firing: bool) -> None:
        if await self.desktop.send(title, text, urgent=firing):
            self.sent.append((title, text))
            del self.sent[:-50]
        else:
            self.undelivered.emit(title, text, firing)

    async def stop(self) -> None:
        await cancel_all(self._tasks)

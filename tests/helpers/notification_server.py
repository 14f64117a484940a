# ruff: noqa: F821, F722 - dbus-fast reads D-Bus signatures from annotations
"""A freedesktop notification server on a D-Bus session bus, for tests: it takes what a
notification client sends (org.freedesktop.Notifications.Notify) and writes each one as a JSON
line to the file it is given. `python notification_server.py OUT` with DBUS_SESSION_BUS_ADDRESS
set; it prints "ready" once it owns the name."""

import asyncio
import json
import sys
from typing import Any

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method, signal


class Notifications(ServiceInterface):
    def __init__(self, out: str) -> None:
        super().__init__("org.freedesktop.Notifications")
        self.out = out
        self.next_id = 0

    @method()
    def Notify(
        self,
        app_name: "s",
        replaces_id: "u",
        app_icon: "s",
        summary: "s",
        body: "s",
        actions: "as",
        hints: "a{sv}",
        expire_timeout: "i",
    ) -> "u":
        self.next_id += 1
        urgency = hints.get("urgency")
        line: dict[str, Any] = {
            "app": app_name,
            "summary": summary,
            "body": body,
            "urgency": urgency.value if urgency is not None else None,
        }
        with open(self.out, "a", encoding="utf-8") as file:
            file.write(json.dumps(line) + "\n")
        return self.next_id

    @method()
    def GetCapabilities(self) -> "as":
        return ["body", "actions"]

    @method()
    def GetServerInformation(self) -> "ssss":
        return ["chaindeck-test", "chaindeck", "1", "1.2"]

    @method()
    def CloseNotification(self, id: "u"):
        pass

    @signal()
    def NotificationClosed(self) -> "uu":
        return [0, 0]

    @signal()
    def ActionInvoked(self) -> "us":
        return [0, ""]


async def main(out: str) -> None:
    bus = await MessageBus().connect()
    bus.export("/org/freedesktop/Notifications", Notifications(out))
    await bus.request_name("org.freedesktop.Notifications")
    print("ready", flush=True)
    await bus.wait_for_disconnect()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

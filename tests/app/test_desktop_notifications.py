"""Alerts reach a desktop with no tray through its notification service: a real D-Bus session
bus (dbus-daemon) and a freedesktop notification server on it (tests/helpers)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.desktop_notifications import DesktopNotifications

HELPERS = Path(__file__).resolve().parents[1] / "helpers"


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[str]:
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed (Debian package dbus-daemon)")
    address = f"unix:path={tmp_path / 'bus'}"
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", f"--address={address}", "--print-address"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert daemon.stdout is not None
        daemon.stdout.readline()  # listening
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def test_an_alert_reaches_the_notification_service(session_bus: str, tmp_path: Path) -> None:
    out = tmp_path / "notifications.jsonl"
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": session_bus}
    server = subprocess.Popen(
        [sys.executable, str(HELPERS / "notification_server.py"), str(out)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = session_bus
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        desktop = DesktopNotifications()
        sent = asyncio.run(desktop.send("Node down: lab 2", "no answer for 30 s", urgent=True))
        assert sent
        shown = [json.loads(line) for line in out.read_text().splitlines()]
        assert shown == [
            {
                "app": "ChainDeck",
                "summary": "Node down: lab 2",
                "body": "no answer for 30 s",
                "urgency": 2,
            }
        ]
    finally:
        del os.environ["DBUS_SESSION_BUS_ADDRESS"]
        server.terminate()
        server.wait(timeout=10)


def test_without_a_notification_service_it_says_so(tmp_path: Path) -> None:
    assert "DBUS_SESSION_BUS_ADDRESS" not in os.environ  # tests/conftest.py
    assert asyncio.run(DesktopNotifications().send("t", "x")) is False

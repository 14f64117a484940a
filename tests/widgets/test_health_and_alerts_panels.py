"""The Health and Alerts tabs in the real window: graphs of this host that zoom, pan, follow
the pointer and export; long ranges read from the store; alert rules edited in the dialog,
an alert firing on this host (status bar, tray, history) and resolving."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.health.alerts import Alert
from app.health.series import HOST, METRICS
from app.services.connections_service import DEVNET
from app.storage.alert_store import AlertStore
from app.storage.metrics_store import MINUTES
from main import Composition
from widgets.health_panel import GRAPHS, HealthGraph

FIRING = {("memory", HOST), ("memory", DEVNET)}


def visible_titles(panel: object) -> set[str]:
    return {g.plotItem.titleLabel.text for g in panel.graphs if g.isVisible()}  # type: ignore[attr-defined]


def wheel(graph: HealthGraph, steps: int) -> None:
    centre = graph.viewport().rect().center()
    event = QWheelEvent(
        QPointF(centre),
        QPointF(graph.viewport().mapToGlobal(centre)),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(graph.viewport(), event)


def test_health_graphs_of_this_host_zoom_hover_and_export(
    qtbot: QtBot, deck: Composition, tmp_path: Path
) -> None:
    window, health = deck.window, deck.health
    panel = window.health_panel
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is panel
    assert panel.selected() == HOST
    qtbot.waitUntil(lambda: len(panel.t) >= 3, timeout=10_000)
    # This host has CPU and memory; the chain graphs have nothing to say about it and hide.
    assert visible_titles(panel) == {"CPU", "Memory"}

    # Hovering a graph shows every figure at that instant on all graphs.
    cpu = panel.graphs[0]
    centre = cpu.viewport().rect().center()
    qtbot.mouseMove(cpu.viewport(), centre)
    qtbot.waitUntil(lambda: "CPU" in panel.hover.text(), timeout=5_000)
    assert panel.hover.text().startswith(HOST)  # whose figures they are
    assert "Memory" in panel.hover.text() and panel.graphs[1].cursor.isVisible()

    # Zoom one graph: every graph follows, and the view stops tracking now until Home.
    before = panel.graphs[1].viewRange()[0]
    wheel(cpu, 3)
    after = panel.graphs[1].viewRange()[0]
    assert not panel.following
    assert after[1] - after[0] < before[1] - before[0]
    qtbot.keyClick(panel, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: panel.following, timeout=2_000)
    qtbot.waitUntil(
        lambda: abs((lambda r: r[1] - r[0])(cpu.viewRange()[0]) - 300) < 1, timeout=5_000
    )

    png, table = tmp_path / "health.png", tmp_path / "health.csv"
    panel.export_png(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    exported = panel.t  # what is on screen when asked: a sample may arrive meanwhile
    panel.export_csv(table)
    qtbot.waitUntil(lambda: "rows to" in panel.hover.text(), timeout=5_000)
    panel.draw(panel.t, panel.values)  # a new sample does not wipe the export's message
    assert "rows to" in panel.hover.text()
    rows = list(csv.reader(table.open()))
    assert rows[0] == ["time", "node", *METRICS]
    assert len(rows) - 1 == len(exported) and rows[1][1] == HOST

    # 7 days reads the one-minute history from the store.
    now = int(time.time())
    deck.metrics.run(
        lambda: deck.metrics.write_sync(
            MINUTES,
            [("remote 1", now - 60 * m, {"cpu_pct": 5.0, "peers": 3.0}) for m in range(600)],
        )
    )
    health.record("remote 1", {"cpu_pct": 1.0, "peers": 3.0})
    panel.show_node("remote 1")
    # The last node's hover line and cursor do not stay on screen for the next one.
    assert HOST not in panel.hover.text() and not panel.graphs[1].cursor.isVisible()
    qtbot.keyClick(panel, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: panel.range_s == 7 * 86400, timeout=2_000)  # an animated click
    qtbot.waitUntil(lambda: len(panel.t) == 600, timeout=5_000)
    assert visible_titles(panel) == {"CPU", "Peers"}
    assert {title for title, _u, _m in GRAPHS} >= visible_titles(panel)

    # A sample of a node that did not answer says so on hover, with a deployment's mark near.
    row = np.full(len(METRICS), np.nan)
    row[METRICS.index("up")] = 0.0
    panel.draw(np.array([float(now)]), row.reshape(1, -1))
    panel.set_marks([(float(now), "upgrade lab producer")])
    text = panel.describe(0)
    assert "down: the node did not answer" in text and "deploy: upgrade lab producer" in text


def test_alert_rules_edited_an_alert_on_this_host_fires_and_resolves(
    qtbot: QtBot, deck: Composition
) -> None:
    window, alerts = deck.window, deck.alerts
    panel = window.alerts_panel
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is panel
    assert "no alerts" in window.alert_indicator.text()

    dialog = panel.open_rules()
    memory = next(line for line in dialog.lines if line[0].key == "memory")
    memory[2].setValue(150)  # not a percentage
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "percentage" in dialog.error.text(), timeout=2_000)
    assert dialog.isVisible()

    # Memory above 0 % for 0 s: this host fires at its next sample, and so does the embedded
    # devnet, which the app watches like any node of its fleet.
    memory[2].setValue(0)
    memory[3].setValue(0)
    fired: list[Alert] = []
    alerts.alertFired.connect(fired.append)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: {(a.rule, a.node) for a in fired} == FIRING, timeout=10_000)
    assert not dialog.isVisible()
    assert "2 alert" in window.alert_indicator.text()
    assert f"Memory: {HOST}" in [title for title, *_ in window.tray.notifications]
    qtbot.waitUntil(lambda: panel.active.rowCount() == 2, timeout=2_000)
    qtbot.waitUntil(lambda: panel.history.rowCount() >= 1, timeout=5_000)
    saved = AlertStore(deck.db).rules_sync()
    assert next(r for r in saved if r.key == "memory").threshold == 0

    # Back to a sane threshold: the alert resolves by itself and the history keeps it.
    dialog = panel.open_rules()
    memory = next(line for line in dialog.lines if line[0].key == "memory")
    memory[2].setValue(100)
    with qtbot.waitSignal(alerts.alertResolved, timeout=5_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "no alerts" in window.alert_indicator.text(), timeout=5_000)
    assert window.tray.notifications[-1][0] == "Resolved: Memory"
    qtbot.waitUntil(
        lambda: panel.history.rowCount() >= 1 and not panel.history.alerts[0].firing,
        timeout=5_000,
    )

"""A local cluster started from the Fleet tab (real producer and follower processes), watched
live, tested as a whole (one run of both suites per node), and a follower that dies marked down."""

from __future__ import annotations

import os
import signal

import httpx
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from main import Composition
from widgets.fleet_table import COLUMNS


def cell(panel: object, row: int, column: str) -> str:
    model = panel.model  # type: ignore[attr-defined]
    return model.data(model.index(row, COLUMNS.index(column)))


def test_local_cluster_fleet_view_cluster_test_runs_and_a_node_going_down(
    qtbot: QtBot, deck: Composition
) -> None:
    window, fleet, tests = deck.window, deck.fleet, deck.tests
    panel = window.fleet_panel
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is panel

    panel.followers.setValue(2)
    panel.block_time.setValue(0.5)  # the cluster's own, not the devnet's
    with qtbot.waitSignal(fleet.clusterStarted, timeout=90_000):
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.selected() == "Local"
    qtbot.waitUntil(
        lambda: panel.model.rowCount() == 3 and all(s.state == "up" for s in panel.model.states),
        timeout=20_000,
    )
    producer = panel.model.states[0].url
    assert httpx.get(f"{producer}/api/v1/network/status").json()["blockTime"] == 0.5
    assert deck.devnet.settings.block_time == 0.0

    # Start again while it runs: asked first, and nothing restarts on Cancel.
    pids = [s.pid for s in panel.model.states]
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.confirm_box.isVisible() and "is running" in panel.confirm_box.text()
    panel.confirm_box.reject()
    assert [s.pid for s in panel.model.states] == pids and fleet.is_running("Local")
    assert cell(panel, 0, "State") == "up"

    roles = [cell(panel, row, "Role") for row in range(3)]
    assert roles == ["producer", "follower", "follower"]
    assert all(cell(panel, row, "Peers") != "0" for row in range(3))

    # The whole cluster as the target: one run of both suites per node, all green.
    tab = window.tests_panel
    tab.fill_targets()
    tab.target.setCurrentText("Cluster: Local")
    tab.set_suites(["conformance", "e2e"])
    finished: list[dict] = []
    tests.runFinished.connect(finished.append)
    failures: list[str] = []
    tests.resultAdded.connect(
        lambda _run, r: (
            failures.append(f"{r['nodeid']}: {r['message']}")
            if r["outcome"] in ("failed", "error")
            else None
        )
    )
    qtbot.mouseClick(tab.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(finished) == 3, timeout=300_000)
    by_node = {run["target_name"]: run for run in finished}
    assert set(by_node) == {"Local producer", "Local follower 1", "Local follower 2"}
    for name, run in by_node.items():
        assert run["status"] == "SUCCEEDED", f"{name}: {run} {failures}"
        assert run["failed"] == 0 and run["passed"] > 150

    # Every node agrees on the head after all that traffic.
    qtbot.waitUntil(
        lambda: (
            len({cell(panel, row, "Latest hash") for row in range(3)}) == 1
            and cell(panel, 1, "Behind") == "0"
        ),
        timeout=20_000,
    )

    # A follower killed outright is marked down, and the others stay up.
    victim = fleet._local("Local").pid("follower-2")
    assert victim is not None
    os.killpg(victim, signal.SIGKILL)
    qtbot.waitUntil(lambda: panel.model.states[2].state == "down", timeout=15_000)
    assert [s.state for s in panel.model.states[:2]] == ["up", "up"]
    colour = panel.model.data(panel.model.index(2, 0), Qt.ItemDataRole.BackgroundRole)
    assert colour is not None

    with qtbot.waitSignal(fleet.clusterStopped, timeout=30_000):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert "stopped" in panel.clusters.item(0).text()

    # Double-clicking a node opens its health graphs, where its outage shows.
    rect = panel.table.visualRect(panel.model.index(2, 0))
    window.tabs.setCurrentWidget(panel)
    # A view takes a double-click on the row its press chose: press first, as a mouse does.
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.currentWidget() is window.health_panel
    assert window.health_panel.selected() == "Local follower 2"
    qtbot.waitUntil(lambda: len(window.health_panel.t) > 0, timeout=5_000)


def test_one_node_of_a_local_cluster_is_stopped_started_read_and_shown(
    qtbot: QtBot, deck: Composition
) -> None:
    from PySide6.QtWidgets import QApplication

    window, fleet = deck.window, deck.fleet
    panel = window.fleet_panel
    window.tabs.setCurrentWidget(panel)
    panel.local_name.setText("Ops")
    panel.followers.setValue(1)
    failed: list[str] = []
    fleet.clusterFailed.connect(lambda name, why: failed.append(why))
    with qtbot.waitSignal(fleet.clusterStarted, timeout=90_000):
        panel.start_local()
        qtbot.waitUntil(lambda: bool(failed) or fleet.is_running("Ops"), timeout=90_000)
        assert not failed, failed
    qtbot.waitUntil(
        lambda: panel.model.rowCount() == 2 and all(s.state == "up" for s in panel.model.states),
        timeout=20_000,
    )
    # The cluster's nodes are in the Node picker.
    picker = [window.node_picker.itemText(i) for i in range(window.node_picker.count())]
    assert {"Ops producer", "Ops follower 1"} <= set(picker)

    follower = panel.model.states[1]
    menu = panel.node_menu(follower)
    titles = {a.text(): a.isEnabled() for a in menu.actions() if a.text()}
    assert titles == {
        "Open in the window": True,
        "Health graphs": True,
        "Copy URL": True,
        "Restart": True,
        "Stop": True,
        "Start": False,
        "Open log": True,
    }
    next(a for a in menu.actions() if a.text() == "Copy URL").trigger()
    assert QApplication.clipboard().text() == follower.url

    panel.stop_node("Ops follower 1")
    qtbot.waitUntil(lambda: "Ops follower 1 stopped" in panel.message.text(), timeout=30_000)
    qtbot.waitUntil(lambda: panel.model.states[1].state == "down", timeout=15_000)
    assert panel.model.states[0].state == "up"
    panel.start_node("Ops follower 1")
    qtbot.waitUntil(lambda: "Ops follower 1 started" in panel.message.text(), timeout=60_000)
    qtbot.waitUntil(lambda: panel.model.states[1].state == "up", timeout=15_000)

    from widgets.log_viewer import LogViewer

    actions = panel.node_menu(panel.model.states[1]).actions()
    next(a for a in actions if a.text() == "Open log").trigger()  # the window opens it
    viewer = window.findChild(LogViewer)
    assert viewer is not None and viewer.windowTitle() == "Log: Ops follower 1"
    qtbot.waitUntil(lambda: "serving http://127.0.0.1" in viewer.shown_text(), timeout=10_000)
    viewer.reject()

    # Shown in the window: the session follows that node.
    window.explore_node("Ops follower 1")
    qtbot.waitUntil(
        lambda: (
            deck.node.client is not None
            and deck.node.client.url == follower.url
            and deck.node.state == "live"
        ),
        timeout=15_000,
    )
    assert deck.session.active == "Ops follower 1"
    assert window.node_picker.currentText() == "Ops follower 1"

    with qtbot.waitSignal(fleet.clusterStopped, timeout=30_000):
        panel.stop_selected()

"""The Deploy tab on a real local cluster (background nodes on 127.0.0.1), offscreen: a plan
checked as it is typed, a canary deployment approved from the window, its timeline and history,
its moments marked on the health graphs, Rollback now, and Abort mid-way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from main import Composition
from tests.helpers.leftovers import nodes_under

PLAN = """
name = "{name}"
cluster = "lab"
strategy = "canary"
[version]
args = ["--max-ws-clients", "{clients}"]
[[gates]]
kind = "health"
within = "20s"
[[gates]]
kind = "{last}"
"""


def cluster_args(data_dir: Path) -> list[list[str]]:
    config = json.loads((data_dir / "clusters" / "lab" / "cluster.json").read_text())
    return [n["version"]["args"] for n in config["nodes"]]


def test_approve_from_the_window_rollback_now_and_abort(
    qtbot: QtBot, deck: Composition, tmp_path: Path
) -> None:
    window, deploy = deck.window, deck.deploy
    # A cluster started from the shell: the window lists it within seconds, and controls it.
    up = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "cluster",
            "up",
            "lab",
            "--data-dir",
            str(tmp_path),
            "--",
            "--block-time",
            "0.2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert up.returncode == 0, up.stderr
    fleet_panel = window.fleet_panel
    qtbot.waitUntil(lambda: fleet_panel.clusters.count() == 1, timeout=10_000)
    assert "lab  (local, 1 + 1, running)" in fleet_panel.clusters.item(0).text()
    before = cluster_args(tmp_path)
    panel = window.deploy_panel
    qtbot.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is panel

    # Checked as it is typed: the field is named and Run stays off until it is right.
    panel.editor.setPlainText(PLAN.format(name="wider", clients=77, last="aprove"))
    qtbot.waitUntil(lambda: "gates[1]: kind must be" in panel.problem.text(), timeout=5000)
    assert not panel.run_button.isEnabled()
    panel.editor.setPlainText(PLAN.format(name="wider", clients=77, last="approve"))
    qtbot.waitUntil(lambda: panel.problem.text() == "The plan is valid.", timeout=5000)
    assert panel.run_button.isEnabled()

    with qtbot.waitSignal(deploy.approvalRequested, timeout=60_000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.approve_button.isEnabled() and panel.abort_button.isEnabled()
    assert "waiting for you" in panel.message.text()
    grid = panel.timeline.grid
    assert grid.item(0, 0).text().startswith("upgrade done")  # the canary, before approval
    with qtbot.waitSignal(deploy.deploymentFinished, timeout=120_000) as finished:
        qtbot.mouseClick(panel.approve_button, Qt.MouseButton.LeftButton)
        # The producer's step asks again.
        qtbot.waitUntil(lambda: panel.approve_button.isEnabled(), timeout=60_000)
        qtbot.mouseClick(panel.approve_button, Qt.MouseButton.LeftButton)
    row = finished.args[0]
    assert row["status"] == "SUCCEEDED" and row["summary"]["status"] == "succeeded"
    assert cluster_args(tmp_path) == [["--max-ws-clients", "77"]] * 2
    rows = {grid.verticalHeaderItem(r).text(): r for r in range(grid.rowCount())}
    assert set(rows) == {"lab producer", "lab follower 1"}
    assert [grid.horizontalHeaderItem(c).text() for c in range(grid.columnCount())] == [
        "1 upgrade (canary)",
        "2 upgrade",
    ]
    assert grid.item(rows["lab follower 1"], 0).text() == "upgrade done ✓✓"
    gates = panel.timeline.gates
    assert gates.rowCount() == 4 and gates.item(1, 3).text() == "passed"
    qtbot.waitUntil(lambda: panel.history_table.rowCount() == 1, timeout=5000)
    # Its moments are on the health graphs' time axis.
    marks = window.health_panel.graphs[0].mark_lines
    assert any("upgrade lab producer" in line.toolTip() for line in marks)

    # Rollback now: the nodes go back to what they ran before, as a deployment of its own.
    panel.history_table.selectRow(0)
    qtbot.waitUntil(lambda: panel.rollback_button.isEnabled(), timeout=5000)
    with qtbot.waitSignal(deploy.deploymentFinished, timeout=120_000) as finished:
        qtbot.mouseClick(panel.rollback_button, Qt.MouseButton.LeftButton)
        for _ in range(2):
            qtbot.waitUntil(lambda: panel.approve_button.isEnabled(), timeout=60_000)
            qtbot.mouseClick(panel.approve_button, Qt.MouseButton.LeftButton)
    assert finished.args[0]["plan_name"] == "rollback of wider"
    assert finished.args[0]["summary"]["status"] == "succeeded"
    assert cluster_args(tmp_path) == before

    # Abort while a gate waits: every changed node goes back.
    panel.editor.setPlainText(PLAN.format(name="slow", clients=88, last="wait"))
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=5000)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "wait" in _gate_running(panel), timeout=60_000)
    with qtbot.waitSignal(deploy.deploymentFinished, timeout=120_000) as finished:
        qtbot.keyClick(panel.editor, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    assert finished.args[0]["status"] == "CANCELLED"
    assert finished.args[0]["summary"]["status"] == "aborted"
    assert cluster_args(tmp_path) == before
    assert "aborted" in panel.message.text()

    # Stopped from the window; nothing of it is left running.
    window.tabs.setCurrentWidget(fleet_panel)
    fleet_panel.clusters.setCurrentRow(0)
    with qtbot.waitSignal(deck.fleet.clusterStopped, timeout=30_000):
        qtbot.mouseClick(fleet_panel.stop_button, Qt.MouseButton.LeftButton)
    assert nodes_under(tmp_path) == []


def _gate_running(panel: object) -> str:
    """Which gate the live deployment is in: the health gate passed, the next is running."""
    timeline = panel.timeline.timeline  # type: ignore[attr-defined]
    passed = [g for g in timeline.gates if g.status == "passed"]
    return "wait" if passed and timeline.summary is None else ""

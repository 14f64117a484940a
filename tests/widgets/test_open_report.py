"""File ▸ Open report… in the window (offscreen): a folder `chaindeck pipeline` wrote in CI
becomes test runs, a load run with its seconds and a deployment with its timeline, shown in
the same views as local runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from main import Composition
from tests.helpers.leftovers import nodes_under
from tests.qt_support import run

PIPELINE = """
name = "ci"
[[stages]]
kind = "cluster"
[[stages]]
kind = "test"
suites = ["conformance"]
[[stages]]
kind = "load"
scenario = "reads"
users = 2
duration = "2s"
thresholds = ["errors<1%"]
[[stages]]
kind = "deploy"
plan = "plan.toml"
"""
PLAN = """
name = "wider"
cluster = "anything"
[version]
args = ["--max-ws-clients", "99"]
[[gates]]
kind = "health"
"""


def test_a_ci_report_folder_opens_into_the_histories(
    qtbot: QtBot, deck: Composition, tmp_path: Path
) -> None:
    ci = tmp_path / "ci"
    ci.mkdir()
    (ci / "pipeline.toml").write_text(PIPELINE)
    (ci / "plan.toml").write_text(PLAN)
    made = subprocess.run(
        [sys.executable, "-m", "app", "pipeline", "pipeline.toml", "--out", "artefact"],
        capture_output=True, text=True, timeout=300, cwd=ci,
        env={**os.environ, "CHAINDECK_DATA_DIR": str(ci / "data"), "TMPDIR": str(ci)},
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    assert nodes_under(ci) == []

    window = deck.window
    run(qtbot, window.open_report(ci / "artefact"), timeout=30)
    assert "1 test run, 1 load run, 1 deploy run added" in window.statusBar().currentMessage()

    assert window.tabs.currentWidget() is window.tests_panel  # its tests first
    tests = window.tests_panel.history_table
    qtbot.waitUntil(lambda: tests.rowCount() == 1, timeout=5000)
    assert tests.item(0, 2).text() == "pipeline producer (CI ci)"
    assert tests.item(0, 0).text() == str(tests.runs[0]["id"])
    assert tests.runs[0]["status"] == "SUCCEEDED" and tests.runs[0]["passed"] > 150

    load = window.load_panel
    assert load.history_table.rowCount() == 1
    load.history_table.selectRow(0)
    qtbot.waitUntil(lambda: len(load.ticks) > 0, timeout=5000)  # its seconds, charted

    deploy = window.deploy_panel
    assert deploy.history_table.rowCount() == 1
    deploy.history_table.selectRow(0)
    grid = deploy.timeline.grid
    qtbot.waitUntil(lambda: grid.rowCount() == 1, timeout=5000)
    assert grid.item(0, 0).text() == "upgrade done ✓"
    assert "wider" in deploy.timeline.title.text()

    # Not a report folder: said, and nothing added.
    refused: list[str] = []
    deck.reports.reportRefused.connect(refused.append)
    run(qtbot, window.open_report(tmp_path), timeout=30)
    assert refused and "has no report.json" in refused[0]
    assert tests.rowCount() == 1

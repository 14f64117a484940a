"""The Load tab offscreen, through real short load runs (real Locust) on the embedded devnet:
thresholds checked as typed, live charts, the verdict, the history, a compare and a CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from main import Composition
from widgets.load_panel import LoadPanel


def run_once(qtbot: QtBot, deck: Composition, panel: LoadPanel) -> dict[str, object]:
    with qtbot.waitSignal(deck.load.runFinished, timeout=120_000) as finished:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    return finished.args[0]


def status_of(panel: LoadPanel, row: int) -> str | None:
    item = panel.history_table.item(row, 5)
    return item.text() if item else None


def test_a_load_run_from_the_tab(qtbot: QtBot, deck: Composition, tmp_path: Path) -> None:
    window = deck.window
    panel = window.load_panel
    qtbot.keyClick(window, Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is panel

    form = panel.form
    form.thresholds.setPlainText("p95<5s\np96<1ms")
    assert "unknown metric 'p96'" in form.threshold_check.text()
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert "fix the thresholds" in panel.message.text()
    form.thresholds.setPlainText("p95<5s\nerrors<1%")
    assert form.threshold_check.text() == "2 thresholds, valid"

    form.scenario.setCurrentText("transfers")
    form.users.setValue(3)
    form.duration.setText("1s")
    form.drain.setText("10s")
    form.workers.setValue(1)
    seen: list[tuple[int, dict[str, object]]] = []
    deck.load.tickReceived.connect(lambda run_id, tick: seen.append((run_id, tick)))
    first = run_once(qtbot, deck, panel)
    ticks = [tick for _run, tick in seen]
    assert first["status"] == "SUCCEEDED", first["message"]
    assert any(t["phase"] == "hold" and t["rps"] for t in ticks)
    qtbot.waitUntil(lambda: len(panel.charts.throughput.curves[0].getData()[0]) == len(ticks))
    assert max(panel.charts.throughput.curves[0].getData()[1]) > 0
    # The devnet's own figures, from the health history, on the run's time axis.
    node_t, _cpu = panel.charts.node_cpu.curves[0].getData()
    assert node_t is not None and len(node_t) > 0
    assert "PASS p95" in panel.verdict.text() and "PASS errors" in panel.verdict.text()
    assert panel.errors.rowCount() == 0
    qtbot.waitUntil(lambda: status_of(panel, 0) == "succeeded")

    # A second run, a threshold missed on purpose: the verdict says by how much.
    form.thresholds.setPlainText("rps>1000000/s")
    second = run_once(qtbot, deck, panel)
    assert second["status"] == "FAILED"
    assert "FAIL rps = " in panel.verdict.text() and "over the 1 s hold" in panel.verdict.text()
    qtbot.waitUntil(lambda: status_of(panel, 0) == "failed")
    assert panel.history_table.rowCount() == 2

    panel.history_table.selectAll()
    assert panel.compare_button.isEnabled()
    qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "requests/s" in panel.compared.toPlainText())
    older, newer = (c.getData()[1] for c in panel.comparison.throughput.curves)
    assert older is not None and newer is not None

    panel.history_table.clearSelection()
    panel.history_table.selectRow(1)  # the first run: its settings back in the form
    qtbot.mouseClick(panel.again_button, Qt.MouseButton.LeftButton)
    assert form.thresholds.toPlainText() == "p95<5s\nerrors<1%"
    out = tmp_path / "run.csv"
    panel.export(first["id"], str(out))
    qtbot.waitUntil(out.exists)
    page = tmp_path / "run.html"
    panel.export(first["id"], str(page), "html")
    qtbot.waitUntil(page.exists)
    assert "Plotly.newPlot" in page.read_text()
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(ticks)
    assert {"t", "rps", "p95", "included"} <= set(rows[0])

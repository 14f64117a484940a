"""The Tests panel offscreen, through real runs against the window's embedded devnet: live
tree and counts, a failure's text, re-run failed, history with pass rate, compare."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from main import Composition
from widgets.tests_panel import TestsPanel

FLAKY_SUITE = """
import os

def test_node_answers(node):
    assert node.get("/health").json()["status"] == "ok"

def test_fails_the_first_time(node):
    flag = os.path.join(os.path.dirname(__file__), "ran-once")
    first = not os.path.exists(flag)
    open(flag, "w").close()
    assert not first, "first run fails on purpose"

def test_skipped_by_choice():
    import pytest
    pytest.skip("not today")
"""


def cell_text(table: QTableWidget, row: int, column: int) -> str | None:
    item = table.item(row, column)
    return item.text() if item else None


def tree_outcomes(panel: TestsPanel) -> dict[str, str]:
    return {
        nodeid: item.text(1)
        for nodeid, item in panel.items.items()
        if item.data(0, Qt.ItemDataRole.UserRole)
    }


def test_run_watch_read_a_failure_rerun_failed_and_compare(
    qtbot: QtBot, deck: Composition, tmp_path: Path
) -> None:
    window, tests = deck.window, deck.tests
    panel = window.tests_panel
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is panel
    assert panel.target.currentText() == "Active node"

    folder = tmp_path / "my-suite"
    folder.mkdir()
    (folder / "test_mine.py").write_text(FLAKY_SUITE)
    panel.add_suite_folder(str(folder))
    assert [panel.suites.item(i).text() for i in range(panel.suites.count())] == [
        "conformance", "e2e", str(folder),
    ]  # fmt: skip
    panel.set_suites([str(folder)])

    collected: list[int] = []
    tests.testsCollected.connect(lambda _run, ids: collected.append(len(ids)))
    with qtbot.waitSignal(tests.runFinished, timeout=120_000) as finished:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.cancel_button.isEnabled(), timeout=30_000)
    first = finished.args[0]
    assert first["status"] == "FAILED" and first["failed"] == 1 and first["skipped"] >= 1
    assert first["message"] == f"1 failed of {first['total']} tests"  # why, kept with the run
    outcomes = tree_outcomes(panel)
    assert len(outcomes) == collected[0] == first["total"]
    assert outcomes["test_mine.py::test_fails_the_first_time"] == "failed"
    assert outcomes["test_mine.py::test_node_answers"] == "passed"
    assert "queued" not in outcomes.values()
    assert panel.progress.value() == panel.progress.maximum() == first["total"]
    assert "1 failed" in panel.counts.text()
    # The run is in the history from its start; its row says how it ended once it has.
    qtbot.waitUntil(lambda: cell_text(panel.history_table, 0, 4) == "failed")
    assert panel.history_table.rowCount() == 1

    panel.tree.setCurrentItem(panel.items["test_mine.py::test_fails_the_first_time"])
    assert "first run fails on purpose" in panel.detail.toPlainText()
    assert "test_mine.py" in panel.detail.toPlainText()  # the traceback

    assert panel.rerun_button.isEnabled()
    with qtbot.waitSignal(tests.runFinished, timeout=60_000) as finished:
        qtbot.mouseClick(panel.rerun_button, Qt.MouseButton.LeftButton)
    second = finished.args[0]
    assert second["status"] == "SUCCEEDED" and second["total"] == 1
    assert tree_outcomes(panel) == {"test_mine.py::test_fails_the_first_time": "passed"}
    qtbot.waitUntil(lambda: cell_text(panel.history_table, 0, 4) == "succeeded")
    assert panel.rate_curve.getData()[1].tolist()[-1] == 100.0

    panel.history_table.selectAll()
    assert panel.compare_button.isEnabled()
    qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Newly passing (1)" in panel.detail.toPlainText())
    assert "test_mine.py::test_fails_the_first_time" in panel.detail.toPlainText()

    # A stored run comes back into the tree when chosen in the history.
    panel.history_table.selectRow(1)
    qtbot.waitUntil(lambda: panel.run_id == first["id"])
    assert tree_outcomes(panel)["test_mine.py::test_fails_the_first_time"] == "failed"


def test_bad_choices_are_refused_with_the_reason(qtbot: QtBot, deck: Composition) -> None:
    panel = deck.window.tests_panel
    panel.set_suites([])
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert "at least one suite" in panel.message.text()
    panel.add_suite_folder("/no/such/folder")
    assert "no suite" in panel.message.text()
    assert panel.suites.count() == 2


def test_what_a_run_will_write_is_said_before_it_starts(qtbot: QtBot, deck: Composition) -> None:
    panel = deck.window.tests_panel
    panel.set_suites(["conformance", "e2e"])
    text = panel.writes.text()
    assert not panel.writes.isHidden()
    assert f"Writes to {panel.target.currentText()}'s chain" in text
    assert "labelled test-run-" in text and "gives back what is left" in text
    panel.set_suites([])
    assert panel.writes.isHidden()


def test_a_cluster_run_says_how_many_nodes_passed_and_which_did_not(
    qtbot: QtBot, deck: Composition, tmp_path: Path
) -> None:
    from tests.qt_support import run

    panel = deck.window.tests_panel
    assert deck.devnet.url is not None
    run(qtbot, deck.fleet.save("Pair", [deck.devnet.url, "http://127.0.0.1:1"], "", ""))
    qtbot.waitUntil(lambda: "Cluster: Pair" in deck.tests.target_names(), timeout=5000)
    folder = tmp_path / "quick"
    folder.mkdir()
    (folder / "test_quick.py").write_text(
        "def test_answers(node):\n    assert node.get('/health').status_code == 200\n"
    )
    panel.add_suite_folder(str(folder))
    panel.set_suites([str(folder)])
    panel.fill_targets()
    panel.target.setCurrentText("Cluster: Pair")
    with qtbot.waitSignal(deck.tests.clusterFinished, timeout=60000) as finished:
        panel.run()
    assert finished.args == ["1 of 2 nodes passed; Pair 2: unreachable"]
    assert "1 of 2 nodes passed; Pair 2: unreachable" in panel.message.text()
    assert panel.showing.text().startswith(f"Results of run #{panel.run_id} on Pair ")
    history = run(qtbot, deck.tests.history())
    failed = next(r for r in history if r["target_name"] == "Pair 2")
    assert failed["status"] == "FAILED" and "cannot reach" in failed["message"]

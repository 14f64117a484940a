"""The runs history: the runs a user chose stay chosen, by run and not by row, as runs start
and finish above them."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from widgets.run_history import COMMON_START, RunHistoryTable, status


def run(run_id: int, state: str = "SUCCEEDED") -> dict[str, Any]:
    return {
        "id": run_id,
        "started": 1_700_000_000 + run_id,
        "target_name": "devnet",
        "target_url": "http://127.0.0.1:8645",
        "status": state,
    }


def test_the_chosen_runs_stay_chosen_when_a_new_run_arrives(qtbot: QtBot) -> None:
    table = RunHistoryTable([*COMMON_START, ("Status", status)])
    qtbot.addWidget(table)
    table.set_runs([run(3), run(2), run(1)])
    table.selectRow(1)  # run 2
    table.selectionModel().select(
        table.model().index(2, 0),
        table.selectionModel().SelectionFlag.Select | table.selectionModel().SelectionFlag.Rows,
    )  # and run 1
    assert table.selected_ids() == [2, 1]
    with qtbot.assertNotEmitted(table.selectedRunsChanged):
        table.set_runs([run(4, "RUNNING"), run(3), run(2), run(1)])
    assert table.selected_ids() == [2, 1]
    assert table.item(0, 3).text() == "running"
    table.set_runs([run(4), run(3), run(2)])  # run 1 deleted: only run 2 stays chosen
    assert table.selected_ids() == [2]

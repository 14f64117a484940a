"""BlockTableModel without a view: live inserts at the top, paging at the bottom, the row cap."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from widgets.block_table import CELL_PADDING, COLUMNS, BlockTableModel, fit_columns


def block(height: int) -> dict[str, Any]:
    return {
        "height": height,
        "hash": f"0x{height:064x}",
        "timestamp": 1_700_000_000_000 + height,
        "txCount": height % 7,
        "producer": "0x" + "ab" * 20,
        "size": 500,
    }


def heights(model: BlockTableModel) -> list[int]:
    return [b["height"] for b in model.blocks]


def test_new_blocks_go_on_top_once_and_in_order(qtbot: QtBot) -> None:
    model = BlockTableModel()
    model.reset([block(h) for h in range(10, 20)])
    with qtbot.waitSignal(model.rowsInserted) as inserted:
        model.add_new([block(21), block(20), block(19), block(21)])
    assert inserted.args[1:] == [0, 1]
    assert heights(model)[:3] == [21, 20, 19]
    assert model.rowCount() == 12
    assert model.data(model.index(0, 0)) == "21"


def test_scrolling_down_asks_for_the_page_below_and_keeps_only_older_blocks(
    qtbot: QtBot,
) -> None:
    model = BlockTableModel()
    model.reset([block(h) for h in range(900, 1000)])
    assert model.canFetchMore()
    with qtbot.waitSignal(model.moreWanted) as wanted:
        model.fetchMore()
    assert wanted.args == [900]
    assert not model.canFetchMore()  # one page at a time
    model.add_older([block(h) for h in range(850, 905)])  # overlaps what is shown
    assert heights(model)[-51:] == list(range(900, 849, -1))
    assert len(set(heights(model))) == model.rowCount()


def test_the_row_cap_holds_on_a_long_chain(qtbot: QtBot) -> None:
    model = BlockTableModel(row_cap=100)
    model.reset([block(h) for h in range(1_000_000, 1_000_100)])
    model.add_new([block(h) for h in range(1_000_100, 1_000_150)])
    assert model.rowCount() == 100
    assert heights(model)[0] == 1_000_149 and heights(model)[-1] == 1_000_050
    assert not model.canFetchMore()  # full: paging stops instead of growing without end


def test_genesis_at_the_bottom_means_nothing_more_to_fetch(qtbot: QtBot) -> None:
    model = BlockTableModel()
    model.reset([block(h) for h in range(0, 5)])
    assert not model.canFetchMore()


def test_columns_are_wide_enough_for_what_they_show(qtbot: QtBot) -> None:
    model = BlockTableModel()
    model.reset([block(12_345_678)])
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    fit_columns(view)
    metrics = view.fontMetrics()
    for column in range(len(COLUMNS)):
        shown = model.data(model.index(0, column))
        room = view.horizontalHeader().sectionSize(column) - 2 * CELL_PADDING
        assert metrics.horizontalAdvance(shown) <= room, (COLUMNS[column], shown)
    assert "…" in model.data(model.index(0, COLUMNS.index("Hash")))  # a short hash, whole

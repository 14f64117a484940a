"""FleetTableModel without a view: the compact hash cell and what hovering tells."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.fleet.member import MemberState
from widgets.fleet_table import COLUMNS, FleetTableModel

HEAD = "0x" + "83e13248" + "0" * 52 + "2cf7"


def test_the_hash_cell_is_short_and_its_tooltip_is_the_whole_hash(qtbot: QtBot) -> None:
    model = FleetTableModel()
    model.set_states(
        [
            MemberState(
                "Local producer", "http://127.0.0.1:1", height=40, latest_hash=HEAD, state="up"
            )
        ]
    )
    cell = model.index(0, COLUMNS.index("Latest hash"))
    assert model.data(cell) == "0x83e132…2cf7"
    assert model.data(cell, Qt.ItemDataRole.ToolTipRole) == HEAD
    name = model.index(0, 0)
    assert model.data(name, Qt.ItemDataRole.ToolTipRole) == "http://127.0.0.1:1 — up"


def test_headers_say_what_the_less_obvious_columns_hold(qtbot: QtBot) -> None:
    model = FleetTableModel()
    tip = Qt.ItemDataRole.ToolTipRole
    horizontal = Qt.Orientation.Horizontal
    assert "average" in model.headerData(COLUMNS.index("Block time"), horizontal, tip)
    assert model.headerData(COLUMNS.index("Node"), horizontal, tip) is None
    assert model.headerData(COLUMNS.index("CPU"), horizontal) == "CPU"


def test_the_state_is_in_words_as_well_as_colour() -> None:
    model = FleetTableModel()
    states = [
        MemberState("a", "http://a", state="up", height=10),
        MemberState("b", "http://b", state="up", height=2, behind=8),
        MemberState("c", "http://c", state="problem", problem="producer_lost", height=1),
        MemberState("d", "http://d", state="down"),
        MemberState("e", "http://e", state="stopped"),
    ]
    model.set_states(states)
    column = COLUMNS.index("State")
    shown = [model.data(model.index(row, column)) for row in range(5)]
    assert shown == ["up", "lagging (8 behind)", "problem: producer_lost", "down", "stopped"]

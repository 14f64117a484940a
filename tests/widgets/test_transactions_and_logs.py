"""The Transactions list (every transaction, newest first, filterable, live) and the node's log
viewer, on the real devnet offscreen."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.services.log_follower import LogFollower
from main import Composition
from tests.qt_support import run


def test_transactions_are_listed_newest_first_and_filtered(qtbot: QtBot, deck: Composition) -> None:
    window = deck.window
    window.show_transactions()
    view = window.explorer_panel.transactions
    qtbot.waitUntil(lambda: view.model.rowCount() == 10, timeout=10000)  # the genesis funding
    sent = run(qtbot, deck.wallets.send("wallet3", "wallet4", 2.5, None, "rent"))
    qtbot.waitUntil(
        lambda: (
            view.model.rows[0]["hash"] == sent["hash"]
            and view.model.rows[0]["status"] == "confirmed"
        ),
        timeout=10000,
    )
    assert view.model.rowCount() == 11
    from PySide6.QtCore import Qt

    moment = view.model.data(view.model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert moment is not None and moment.startswith("20")  # the date beside "3 s ago"
    assert view.model.data(view.model.index(10, 3)) == "genesis"
    view.filter.setText("RENT")  # the memo, any case
    assert view.proxy.rowCount() == 1
    assert view.shown.text() == "1 of 11 transactions shown"
    view.filter.setText("wallet4")  # a label: the transfer and wallet4's genesis funding
    assert view.proxy.rowCount() == 2
    view.filter.clear()
    view.status.setCurrentText("Pending")
    assert view.proxy.rowCount() == 0
    view.status.setCurrentText("All")
    view.table.selectRow(0)
    with qtbot.waitSignal(view.transactionOpened) as opened:
        view._open_row(view.proxy.index(0, 0))
    assert opened.args == [sent["hash"]]


def test_the_devnet_log_is_shown_and_followed(qtbot: QtBot, deck: Composition) -> None:
    viewer = deck.window.open_devnet_log()
    qtbot.waitUntil(lambda: "serving http://127.0.0.1" in viewer.shown_text(), timeout=10000)
    viewer.filter.setText("SERVING")
    assert all("serving" in line for line in viewer.shown_text().splitlines())
    viewer.reject()


def test_a_log_is_followed_through_appends_and_rotation(qtbot: QtBot, tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    log.write_text("one\ntwo\nhalf")
    follower = LogFollower(log)
    seen: list[str] = []
    follower.linesAdded.connect(seen.extend)
    follower.poll()
    assert seen == ["one", "two"]  # an unfinished line waits for its end
    with log.open("a") as file:
        file.write(" done\nthree\n")
    follower.poll()
    assert seen == ["one", "two", "half done", "three"]
    log.rename(tmp_path / "node.log.1")  # rotated: a new file takes its place
    log.write_text("fresh\n")
    with qtbot.waitSignal(follower.restarted):
        follower.poll()
    assert seen[-1] == "fresh"

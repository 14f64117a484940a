"""The main window offscreen with a real embedded devnet node: send, see it confirmed, search."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from main import Composition
from tests.qt_support import run
from widgets.send_dialog import SendDialog


def balance(deck: Composition, label: str) -> float:
    wallet = next(w for w in deck.window.wallets_panel.model.wallets if w["label"] == label)
    return float(wallet["balance"])


def open_send(qtbot: QtBot, deck: Composition) -> SendDialog:
    qtbot.keyClick(deck.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = deck.window.wallets_panel.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_a_transfer_sent_through_the_dialog_is_confirmed_everywhere(
    qtbot: QtBot, deck: Composition
) -> None:
    window = deck.window
    dialog = open_send(qtbot, deck)
    dialog.fill(to="wallet2", amount="12.5", memo="rent")
    assert dialog.send_button.isEnabled()
    # What it will move, before it moves it.
    assert dialog.send_button.text() == "Send 12.5 coins"
    assert "12.5 coins" in dialog.total.text() and "12.5001 coins" in dialog.total.text()
    with qtbot.waitSignal(deck.wallets.transactionConfirmed, timeout=15000) as confirmed:
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    tx = confirmed.args[0]
    assert tx["status"] == "confirmed" and tx["amount"] == 12.5
    assert window.wallets_panel.sent_status(tx["hash"]).startswith("confirmed in")

    # Both balances, without refreshing anything.
    qtbot.waitUntil(lambda: balance(deck, "wallet2") == 1012.5, timeout=10000)
    assert balance(deck, "wallet1") == pytest.approx(1000 - 12.5 - 0.0001)

    # The block is in the live list, and the explorer shows the transaction confirmed.
    height = int(tx["blockHeight"])
    qtbot.waitUntil(lambda: window.explorer_panel.model.highest >= height, timeout=10000)
    shown = next(b for b in window.explorer_panel.model.blocks if b["height"] == height)
    assert shown["txCount"] == 1
    window.explorer_panel.search.setText(tx["hash"])
    qtbot.keyClick(window.explorer_panel.search, Qt.Key.Key_Return)
    view = window.explorer_panel.tx_view
    qtbot.waitUntil(lambda: window.explorer_panel.pages.currentWidget() is view, timeout=10000)
    assert view.field_text("Status").startswith("confirmed (")
    assert view.field_text("Memo") == "rent"


def search(qtbot: QtBot, deck: Composition, text: str) -> Any:
    panel = deck.window.explorer_panel
    qtbot.keyClick(deck.window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert panel.search.hasFocus()
    panel.search.setText(text)
    panel.pages.setCurrentIndex(0)
    panel.show_message("")
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: panel.pages.currentIndex() != 0 or not panel.message.isHidden(), timeout=10000
    )
    return panel.pages.currentWidget() if panel.message.isHidden() else panel.message.text()


def test_search_finds_each_kind_of_reference(qtbot: QtBot, deck: Composition) -> None:
    tx = run(qtbot, deck.wallets.send("wallet1", "wallet3", 1.0))
    qtbot.waitUntil(lambda: deck.node.height >= 1, timeout=10000)
    block = run(qtbot, deck.explorer.block(1))
    wallet3 = next(w for w in deck.wallets.wallets if w["label"] == "wallet3")
    panel = deck.window.explorer_panel

    assert search(qtbot, deck, "1") is panel.block_view
    assert panel.block_view.title.text() == "Block 1"
    assert search(qtbot, deck, block["hash"]) is panel.block_view
    assert panel.block_view.field_text("Hash") == block["hash"]
    assert search(qtbot, deck, tx["hash"]) is panel.tx_view
    assert search(qtbot, deck, wallet3["address"].upper().replace("0X", "0x")) is panel.address_view
    assert panel.address_view.field_text("Address") == wallet3["address"]
    assert search(qtbot, deck, "wallet3") is panel.address_view
    table = panel.address_view.transactions
    shown = {table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(table.rowCount())}
    assert tx["hash"] in shown and table.rowCount() == 2  # genesis funding, then ours

    # Forgiving: hashes without 0x or in upper case, labels in any case, a height with commas.
    assert search(qtbot, deck, tx["hash"][2:].upper()) is panel.tx_view
    assert search(qtbot, deck, " " + block["hash"].upper() + " ") is panel.block_view
    assert search(qtbot, deck, wallet3["address"][2:]) is panel.address_view
    assert search(qtbot, deck, "WALLET3") is panel.address_view
    assert panel.address_view.field_text("Address") == wallet3["address"]
    assert search(qtbot, deck, "0,001") is panel.block_view
    suggested = search(qtbot, deck, "wall")
    assert "did you mean wallet1, wallet2, wallet3, wallet4, wallet5 and 5 more?" in suggested

    assert "nothing on this node matches" in search(qtbot, deck, "0x" + "ab" * 32)
    assert "nothing on this node matches" in search(qtbot, deck, "nosuchwallet")
    assert "is not a height" in search(qtbot, deck, "what?")


def test_bad_input_in_the_send_dialog_shows_why_and_sends_nothing(
    qtbot: QtBot, deck: Composition
) -> None:
    dialog = open_send(qtbot, deck)
    for field, value, message in (
        ("amount", "-3", "greater than 0"),
        ("amount", "1.123456789", "8 decimal places"),
        ("amount", "lots", "a number"),
        ("amount", "1,5", "not a decimal mark here"),  # sent 15 coins once
        ("amount", "1,2,3", "not a decimal mark here"),
        ("amount", "1_5", "a number"),
        ("amount", "5000", "more than the balance"),
        ("to", "0x1234", "40 hex digits"),
        ("to", "nobody", "no wallet labelled"),
    ):
        dialog.fill(**{"to": "wallet2", "amount": "1", field: value})
        assert not dialog.send_button.isEnabled(), value
        assert message in dialog.errors[field].text(), value
        assert dialog.total.text() == "" and dialog.send_button.text() == "Send", value

    # Below the node's minimum fee: said here, before the node has to refuse it.
    dialog.fill(to="wallet2", amount="1", fee="0")
    assert not dialog.send_button.isEnabled()
    assert "at least the node's minimum fee, 0.0001" in dialog.errors["fee"].text()
    assert deck.wallets.pending == {}
    sent = run(qtbot, deck.node.client.transactions())  # type: ignore[union-attr]
    assert all(t["from"] == "0x" + "0" * 40 for t in sent)  # genesis only
    assert deck.node.height == 0

    # Max: the whole balance less the fee.
    dialog.fill(fee="0.0001")
    qtbot.mouseClick(dialog.max_button, Qt.MouseButton.LeftButton)
    assert dialog.amount.text() == "999.9999" and dialog.send_button.isEnabled()
    assert "1000 coins" in dialog.total.text()
    dialog.reject()


def test_the_devnet_url_and_operator_password_are_one_action_away(
    qtbot: QtBot, deck: Composition
) -> None:
    from PySide6.QtWidgets import QApplication

    deck.window.copy_devnet_url()
    assert QApplication.clipboard().text() == deck.devnet.url
    assert deck.devnet.url is not None and deck.devnet.url.startswith("http://127.0.0.1:")
    deck.window.copy_operator_password()
    assert QApplication.clipboard().text() == deck.devnet.operator_password
    assert "copied the operator password" in deck.window.statusBar().currentMessage()


def test_pages_stay_current_and_the_search_box_names_them(qtbot: QtBot, deck: Composition) -> None:
    panel = deck.window.explorer_panel
    deck.window.tabs.setCurrentWidget(panel)
    run(qtbot, panel.open("address", "wallet5"))
    assert panel.pages.currentWidget() is panel.address_view
    assert panel.search.text() == "wallet5"
    rows = panel.address_view.transactions.rowCount()
    tx = run(qtbot, deck.wallets.send("wallet1", "wallet5", 1.0))
    # The address page follows the chain: the new transfer appears without a new search.
    qtbot.waitUntil(lambda: panel.address_view.transactions.rowCount() == rows + 1, timeout=10000)
    run(qtbot, panel.open("transaction", tx["hash"]))
    assert panel.search.text() == tx["hash"]
    run(qtbot, panel.open("block", "0"))
    assert panel.search.text() == "0"

    # An error goes once the next action succeeds.
    run(qtbot, panel.open("block", "999999"))
    assert not panel.message.isHidden()
    run(qtbot, panel.open("block", "1"))
    assert panel.message.isHidden()


def test_a_restart_asked_for_shows_restarting_not_an_error(qtbot: QtBot, deck: Composition) -> None:
    states: list[str] = []
    deck.node.connectionChanged.connect(lambda state, _detail: states.append(state))
    devnet_states: list[str] = []
    deck.devnet.stateChanged.connect(devnet_states.append)
    deck.window._restart_devnet()
    qtbot.waitUntil(lambda: "restarting" in devnet_states, timeout=10000)
    qtbot.waitUntil(lambda: deck.devnet.state == "running", timeout=30000)
    qtbot.waitUntil(lambda: deck.node.state == "live", timeout=30000)
    assert "lost" not in states, states
    assert "restarting" in devnet_states and "stopping" not in devnet_states
    assert "restarting" in states or "connecting" in states, states
    assert "lost" not in deck.window.status.text()

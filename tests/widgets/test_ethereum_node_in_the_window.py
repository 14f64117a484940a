"""An Ethereum node (a real anvil) in the window as a ChainDeck node is: connected by profile,
its blocks in the explorer, its unlocked accounts in Wallets, a transfer sent from one and
confirmed, and the node in a cluster on the fleet and health views. What the protocol lacks is
hidden (no "New wallet", no fee field)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.health.series import METRICS
from main import Composition
from tests.helpers.anvil import anvil, anvil_missing
from tests.qt_support import run

pytestmark = pytest.mark.skipif(anvil_missing() is not None, reason=anvil_missing() or "")


def test_an_anvil_node_in_explorer_wallets_fleet_and_health(
    qtbot: QtBot, deck: Composition
) -> None:
    window = deck.window
    with anvil("--block-time", "1") as url:
        run(qtbot, deck.connections.save("Anvil", url, "", ""))
        assert deck.connections.profile("Anvil")["kind"] == "ethereum"  # type: ignore[index]
        run(qtbot, deck.session.use_profile("Anvil"))
        qtbot.waitUntil(lambda: deck.node.state == "live", timeout=10_000)
        assert deck.node.client is not None and deck.node.client.kind == "ethereum"
        qtbot.waitUntil(lambda: deck.node.height >= 2, timeout=10_000)  # new heads arrive
        assert "peers" in window.status.text()

        # Explorer: blocks newest first, one block by height.
        blocks = run(qtbot, deck.explorer.blocks(0, 5))
        heights = [b["height"] for b in blocks]
        assert heights == sorted(heights, reverse=True) and heights[0] >= 2
        assert run(qtbot, deck.explorer.block(1))["hash"].startswith("0x")

        # Wallets: the unlocked accounts, with balances and nonces; no "New wallet".
        qtbot.waitUntil(lambda: len(deck.wallets.wallets) == 10, timeout=10_000)
        first = deck.wallets.wallets[0]
        assert first["label"] == "account1" and first["balance"] == pytest.approx(10_000)
        qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
        assert window.wallets_panel.new_button.isHidden()
        dialog = window.open_send()
        assert dialog.fee.isHidden()
        dialog.close()

        confirmed: list[Any] = []
        deck.wallets.transactionConfirmed.connect(confirmed.append)
        tx = run(qtbot, deck.wallets.send("account1", "account2", 1.5, None, "hello"))
        qtbot.waitUntil(lambda: bool(confirmed) or tx["status"] == "confirmed", timeout=15_000)
        found = run(qtbot, deck.explorer.search(tx["hash"]))
        assert found.kind == "transaction"
        assert found.data["amount"] == pytest.approx(1.5) and found.data["memo"] == "hello"
        assert found.data["fee"] > 0 and found.data["confirmations"] >= 1
        account = run(qtbot, deck.explorer.search("account2"))
        assert account.kind == "address" and account.data["balance"] == pytest.approx(10_001.5)
        assert account.data["history"] is False  # no address index in JSON-RPC: said, not faked

        # Fleet and health: the node in a saved cluster.
        run(qtbot, deck.fleet.save("Eth", [url], "", ""))
        states = lambda: deck.fleet.states.get("Eth", [])  # noqa: E731
        qtbot.waitUntil(lambda: bool(states()) and states()[0].state == "up", timeout=15_000)
        member = states()[0]
        assert member.kind == "ethereum" and member.version.startswith("anvil")
        assert member.mempool is not None  # anvil offers txpool_status
        qtbot.waitUntil(lambda: len(deck.health.histories.get("Eth 1", [])) >= 3, timeout=10_000)
        _t, values = run(qtbot, deck.health.series("Eth 1", 300))
        assert values[-1, METRICS.index("up")] == 1
        assert values[-1, METRICS.index("latency_p50")] > 0
        run(qtbot, deck.fleet.delete("Eth"))
        run(qtbot, deck.session.use_devnet())

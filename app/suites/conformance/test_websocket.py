"""WebSocket /ws: new_block, new_transaction and network_status messages, and subscribe."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from app.signing import COIN, Signer
from app.suites.plugin import NodeApi, Target

pytestmark = pytest.mark.native


def next_of(ws: ClientConnection, kind: str, timeout: float = 15.0) -> dict[str, Any]:
    """The next message of `kind`, skipping others; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind} message in {timeout:.0f} s")
        try:
            message = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            continue
        if message.get("type") == kind:
            return message


def test_status_messages_arrive_every_second(target: Target) -> None:
    with connect(target.ws_url + "/ws", open_timeout=10) as ws:
        first = next_of(ws, "network_status", timeout=5)
        assert {"chainId", "blockHeight", "mempoolSize"} <= set(first["status"])
        next_of(ws, "network_status", timeout=5)


def test_new_transaction_then_new_block(node: NodeApi, target: Target, funded: Signer) -> None:
    with connect(target.ws_url + "/ws", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": ["blocks", "transactions"]}))
        time.sleep(0.2)  # let the subscription land before the transfer
        start = node.get(f"/api/v1/wallets/{funded.address}/balance").json()["pendingNonce"]
        tx = funded.sign("0x" + "97" * 20, COIN // 100, nonce=start)
        response = node.post("/api/v1/transactions/raw", tx)
        assert response.status_code == 201, response.text
        tx_hash = response.json()["hash"]
        seen = next_of(ws, "new_transaction")
        while seen["transaction"]["hash"] != tx_hash:
            seen = next_of(ws, "new_transaction")
        confirmed = node.wait_confirmed(tx_hash)
        block = next_of(ws, "new_block")
        while block["block"]["height"] < confirmed["blockHeight"]:
            block = next_of(ws, "new_block")
        assert block["block"]["height"] == confirmed["blockHeight"]
        assert "transactions" not in block["block"]


def test_subscribe_filters_channels(node: NodeApi, target: Target) -> None:
    with connect(target.ws_url + "/ws", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": ["status"]}))
        # Until the node reads the subscription it sends everything (the default): a busy node
        # may have queued blocks ahead of the acknowledgement.
        next_of(ws, "subscribed")
        node.mine(1)
        deadline = time.monotonic() + 2.5
        kinds = set()
        while time.monotonic() < deadline:
            try:
                kinds.add(json.loads(ws.recv(timeout=0.5))["type"])
            except TimeoutError:
                continue
        assert "network_status" in kinds
        assert "new_block" not in kinds, "a status-only subscriber got new_block"

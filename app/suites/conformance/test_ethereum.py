"""What applies to an Ethereum JSON-RPC node: identity, blocks, balances, newHeads."""

from __future__ import annotations

import json
import time

import pytest
from websockets.sync.client import connect

from app.suites.plugin import EthRpc, Target

pytestmark = pytest.mark.ethereum


def test_client_version_and_chain_id(eth: EthRpc) -> None:
    assert isinstance(eth.call("web3_clientVersion"), str)
    assert int(eth.call("eth_chainId"), 16) > 0


def test_latest_block_links_to_its_parent(eth: EthRpc) -> None:
    height = int(eth.call("eth_blockNumber"), 16)
    block = eth.call("eth_getBlockByNumber", hex(height), False)
    assert int(block["number"], 16) == height
    if height:
        parent = eth.call("eth_getBlockByNumber", hex(height - 1), False)
        assert block["parentHash"] == parent["hash"]


def test_unknown_block_is_null(eth: EthRpc) -> None:
    assert eth.call("eth_getBlockByNumber", hex(10**12), False) is None


def test_accounts_have_balances_and_nonces(eth: EthRpc) -> None:
    accounts = eth.call("eth_accounts")
    if not accounts:
        pytest.skip("the node has no unlocked accounts")
    for account in accounts[:3]:
        assert int(eth.call("eth_getBalance", account, "latest"), 16) >= 0
        assert int(eth.call("eth_getTransactionCount", account, "latest"), 16) >= 0


def test_new_heads_subscription(eth: EthRpc, target: Target) -> None:
    try:
        ws = connect(target.ws_url, open_timeout=5)
    except OSError as exc:
        pytest.skip(f"no WebSocket endpoint: {exc}")
    with ws:
        ws.send(
            json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
            )
        )
        answer = json.loads(ws.recv(timeout=10))
        assert "result" in answer, answer
        if eth.offers("evm_mine"):
            eth.call("evm_mine")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = json.loads(ws.recv(timeout=deadline - time.monotonic()))
            if message.get("method") == "eth_subscription":
                assert message["params"]["result"]["number"].startswith("0x")
                return
        raise AssertionError("no newHeads notification in 30 s")

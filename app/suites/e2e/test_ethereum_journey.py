"""On an Ethereum node: a transfer from an unlocked account, mined, balances right."""

from __future__ import annotations

import time

import pytest

from app.suites.plugin import EthRpc

pytestmark = pytest.mark.ethereum
ONE_GWEI = 10**9


def test_transfer_from_an_unlocked_account(eth: EthRpc) -> None:
    accounts = eth.call("eth_accounts")
    if len(accounts) < 2:
        pytest.skip("needs two unlocked accounts")
    sender, receiver = accounts[0], accounts[1]
    before = int(eth.call("eth_getBalance", receiver, "latest"), 16)
    tx_hash = eth.call(
        "eth_sendTransaction", {"from": sender, "to": receiver, "value": hex(ONE_GWEI)}
    )
    deadline = time.monotonic() + 30
    receipt = None
    while receipt is None and time.monotonic() < deadline:
        receipt = eth.call("eth_getTransactionReceipt", tx_hash)
        if receipt is None:
            if eth.offers("evm_mine"):
                eth.call("evm_mine")
            time.sleep(0.2)
    assert receipt is not None, f"{tx_hash} not mined in 30 s"
    assert int(receipt["status"], 16) == 1
    block = eth.call("eth_getBlockByNumber", receipt["blockNumber"], False)
    assert tx_hash in block["transactions"]
    assert int(eth.call("eth_getBalance", receiver, "latest"), 16) == before + ONE_GWEI

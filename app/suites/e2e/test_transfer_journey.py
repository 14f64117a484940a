"""A user's journey on a ChainDeck node: a new wallet is funded, sends, sees the transfer
pending then confirmed in a block, with balances and history right on both sides."""

from __future__ import annotations

import pytest

from app.signing import COIN, Signer
from app.suites.plugin import NodeApi

pytestmark = pytest.mark.native


def balance(node: NodeApi, address: str) -> dict:
    return node.get(f"/api/v1/wallets/{address}/balance").json()


def test_fund_send_confirm_and_both_sides_agree(node: NodeApi) -> None:
    chain_id = node.chain_id
    alice, bob = Signer(chain_id), Signer(chain_id)
    node.wait_confirmed(node.fund(alice.address, 10))
    assert balance(node, alice.address)["balance"] == 10

    tx = alice.sign(bob.address, 4 * COIN, memo="lunch")
    response = node.post("/api/v1/transactions/raw", tx)
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["status"] == "pending"
    assert node.get(f"/api/v1/transactions/{sent['hash']}").json()["status"] in (
        "pending",
        "confirmed",
    )
    confirmed = node.wait_confirmed(sent["hash"])
    block = node.get(f"/api/v1/blocks/{confirmed['blockHash']}").json()
    assert sent["hash"] in [t["hash"] for t in block["transactions"]]

    fee = sent["fee"]
    assert balance(node, alice.address)["balance"] == pytest.approx(10 - 4 - fee)
    assert balance(node, alice.address)["nonce"] == 1
    assert balance(node, bob.address)["balance"] == 4
    assert [t["hash"] for t in node.get(f"/api/v1/wallets/{bob.address}/transactions").json()] == [
        sent["hash"]
    ]
    alice_history = node.get(f"/api/v1/wallets/{alice.address}/transactions").json()
    assert alice_history[0]["hash"] == sent["hash"] and len(alice_history) == 2


def test_bob_sends_back_and_the_sum_holds(node: NodeApi) -> None:
    chain_id = node.chain_id
    alice, bob = Signer(chain_id), Signer(chain_id)
    node.wait_confirmed(node.fund(alice.address, 5))
    node.wait_confirmed(node.fund(bob.address, 5))
    there = node.post("/api/v1/transactions/raw", alice.sign(bob.address, 2 * COIN)).json()
    back = node.post("/api/v1/transactions/raw", bob.sign(alice.address, 3 * COIN)).json()
    node.wait_confirmed(there["hash"])
    node.wait_confirmed(back["hash"])
    total = balance(node, alice.address)["balance"] + balance(node, bob.address)["balance"]
    assert total == pytest.approx(10 - there["fee"] - back["fee"])


def test_a_managed_wallet_receives_and_spends(node: NodeApi) -> None:
    auth = node.operator_headers()
    made = node.http.post(
        "/api/v1/wallets", json={"label": f"{node.run_label}-spender"}, headers=auth
    )
    assert made.status_code == 201, made.text
    wallet = made.json()
    node.wait_confirmed(node.fund(wallet["address"], 3))
    outsider = Signer(node.chain_id)
    response = node.http.post(
        "/api/v1/transactions",
        json={"from": wallet["label"], "to": outsider.address, "amount": 1},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    node.wait_confirmed(response.json()["hash"])
    assert balance(node, outsider.address)["balance"] == 1

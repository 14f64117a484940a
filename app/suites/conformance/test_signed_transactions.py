"""POST /api/v1/transactions/raw and /batch, signed here as any third-party client signs."""

from __future__ import annotations

import pytest

from app.signing import COIN, Signer, tx_hash
from app.suites.checks import assert_error
from app.suites.plugin import NodeApi

pytestmark = pytest.mark.native
OTHER = "0x" + "99" * 20


def test_signed_transfer_is_pending_then_confirmed(node: NodeApi, funded: Signer) -> None:
    tx = funded.sign(OTHER, 3 * COIN, memo="conformance")
    response = node.post("/api/v1/transactions/raw", tx)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["hash"] == tx_hash(tx), "the hash is not BLAKE2b-256(signing bytes + signature)"
    assert body["status"] == "pending" and body["from"] == funded.address and body["to"] == OTHER
    assert body["amount"] == 3 and body["memo"] == "conformance"
    confirmed = node.wait_confirmed(body["hash"])
    assert confirmed["blockHeight"] >= 1 and confirmed["blockHash"].startswith("0x")
    block = node.get(f"/api/v1/blocks/{confirmed['blockHeight']}").json()
    assert body["hash"] in [t["hash"] for t in block["transactions"]]


def test_duplicate_is_409(node: NodeApi, funded: Signer) -> None:
    tx = funded.sign(OTHER, COIN)
    first = node.post("/api/v1/transactions/raw", tx)
    assert first.status_code == 201, first.text
    node.wait_confirmed(first.json()["hash"])
    assert_error(node.post("/api/v1/transactions/raw", tx), 409)


def test_used_nonce_and_missing_balance_are_422(node: NodeApi, funded: Signer) -> None:
    latest = node.get(f"/api/v1/wallets/{funded.address}/balance").json()
    assert latest["nonce"] >= 1, "this test runs after a confirmed transfer"
    assert_error(node.post("/api/v1/transactions/raw", funded.sign(OTHER, COIN, nonce=0)), 422)
    too_much = funded.sign(OTHER, 10_000 * COIN, nonce=latest["nonce"])
    assert_error(node.post("/api/v1/transactions/raw", too_much), 422)


def test_tampered_signature_is_400(node: NodeApi, funded: Signer) -> None:
    tx = funded.sign(OTHER, COIN, nonce=10**6)
    assert_error(node.post("/api/v1/transactions/raw", tx | {"amount": 2}), 400)
    assert_error(node.post("/api/v1/transactions/raw", tx | {"signature": "00" * 64}), 400)


def test_key_that_is_not_the_sender_is_400(node: NodeApi, chain_id: str) -> None:
    mallory = Signer(chain_id)
    tx = mallory.sign(OTHER, COIN) | {"from": Signer(chain_id).address}
    assert_error(node.post("/api/v1/transactions/raw", tx), 400)


def test_other_chain_is_400(node: NodeApi, funded: Signer, chain_id: str) -> None:
    tx = funded.sign(OTHER, COIN, nonce=10**6, chain_id=chain_id + "-other")
    assert_error(node.post("/api/v1/transactions/raw", tx), 400)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": "1"}, "amount"),
        ({"amount": 0.123456789}, "amount"),
        ({"to": "0x1234"}, "to"),
        ({"nonce": -1}, "nonce"),
        ({"nonce": "0"}, "nonce"),
        ({"memo": "x" * 257}, "memo"),
        ({"publicKey": "zz"}, "publicKey"),
        ({"signature": "00"}, "signature"),
    ],
)
def test_bad_fields_are_400_naming_the_field(
    node: NodeApi, chain_id: str, change: dict, field: str
) -> None:
    tx = Signer(chain_id).sign(OTHER, COIN) | change
    assert_error(node.post("/api/v1/transactions/raw", tx), 400, field)


@pytest.mark.parametrize("missing", ["chainId", "from", "to", "amount", "nonce", "signature"])
def test_missing_fields_are_400(node: NodeApi, chain_id: str, missing: str) -> None:
    tx = Signer(chain_id).sign(OTHER, COIN)
    del tx[missing]
    assert_error(node.post("/api/v1/transactions/raw", tx), 400, missing)


def test_batch_accepts_the_good_and_reports_each_bad_item(node: NodeApi, funded: Signer) -> None:
    start = node.get(f"/api/v1/wallets/{funded.address}/balance").json()["pendingNonce"]
    funded.nonce = start
    good = [funded.sign(OTHER, COIN // 10) for _ in range(3)]
    bad_signature = funded.sign(OTHER, COIN // 10, nonce=start + 3) | {"amount": 5}
    items = [good[0], {"nope": 1}, good[1], good[1], bad_signature, good[2]]
    response = node.post("/api/v1/transactions/batch", items)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == [tx_hash(t) for t in good]
    assert [r["index"] for r in body["rejected"]] == [1, 3, 4]
    for rejected in body["rejected"]:
        assert rejected["error"] and rejected["message"]
    for accepted in body["accepted"]:
        node.wait_confirmed(accepted)


@pytest.mark.parametrize("body", [{"a": 1}, "x", 5, [{}] * 1001])
def test_batch_must_be_an_array_of_at_most_1000(node: NodeApi, body: object) -> None:
    assert_error(node.post("/api/v1/transactions/batch", body), 400)


def test_empty_batch_accepts_nothing(node: NodeApi) -> None:
    assert node.post("/api/v1/transactions/batch", []).json() == {"accepted": [], "rejected": []}


def test_transaction_lookup(node: NodeApi) -> None:
    assert_error(node.get("/api/v1/transactions/0x" + "ab" * 32), 404)
    assert_error(node.get("/api/v1/transactions/nothash"), 400)


def test_recent_transactions_are_newest_first(node: NodeApi, funded: Signer) -> None:
    start = node.get(f"/api/v1/wallets/{funded.address}/balance").json()["pendingNonce"]
    sent = []
    for nonce in (start, start + 1):
        response = node.post("/api/v1/transactions/raw", funded.sign(OTHER, COIN, nonce=nonce))
        assert response.status_code == 201, response.text
        sent.append(response.json()["hash"])
    # On a busy node (a cluster under test from several sides) other transfers arrive in
    # between: page until both of ours are found.
    order: list[str] = []
    for offset in range(0, 1000, 100):
        page = node.get("/api/v1/transactions", limit=100, offset=offset).json()
        order += [t["hash"] for t in page if t["hash"] in sent]
        if len(order) == 2 or not page:
            break
    assert order == sent[::-1], "the newer transfer must come first in /api/v1/transactions"

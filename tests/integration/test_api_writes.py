"""Write endpoints, auth and every error of node-api.md against a real node process."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from backend.chain.units import COIN
from tests.helpers.node_process import OPERATOR, NodeProcess
from tests.helpers.wallet import TestWallet, fund, wait_confirmed
from tests.integration.test_api_reads import assert_error

OTHER = "0x" + "99" * 20


@pytest.fixture
def funded(node: NodeProcess, client: httpx.Client, token: str) -> TestWallet:
    wallet = TestWallet(node.ready["chainId"])
    wait_confirmed(client, fund(client, token, wallet.address, 50, source="wallet2"))
    return wallet


# --- auth ----------------------------------------------------------------------------------------


def test_login_gives_an_expiring_token(client: httpx.Client) -> None:
    body = client.post(
        "/api/v1/auth/login", json={"username": OPERATOR[0], "password": OPERATOR[1]}
    ).json()
    assert body["expiresIn"] > 0 and body["token"].count(".") == 2


@pytest.mark.parametrize(
    "creds",
    [
        {"username": OPERATOR[0], "password": "wrong"},
        {"username": "someone", "password": OPERATOR[1]},
    ],
)
def test_bad_credentials_are_401(client: httpx.Client, creds: dict) -> None:
    assert_error(client.post("/api/v1/auth/login", json=creds), 401)


@pytest.mark.parametrize("body", [{"username": "x"}, {"username": 1, "password": 2}, [], "creds"])
def test_bad_login_bodies_are_400(client: httpx.Client, body: object) -> None:
    assert_error(client.post("/api/v1/auth/login", json=body), 400)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/transactions", {"from": "wallet1", "to": OTHER, "amount": 1}),
        ("GET", "/api/v1/wallets", None),
        ("POST", "/api/v1/wallets", {}),
        ("POST", "/api/v1/mine", {"blocks": 1}),
    ],
)
@pytest.mark.parametrize(
    "header", [None, "Bearer nonsense", "Basic b3A6cHc=", "Bearer", "Bearer a.b.c"]
)
def test_operator_endpoints_need_a_valid_token(
    client: httpx.Client, method: str, path: str, body: object, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    assert_error(client.request(method, path, json=body, headers=headers), 401)


def test_a_token_signed_with_another_secret_is_refused(client: httpx.Client) -> None:
    import time

    import jwt

    forged = jwt.encode(
        {"sub": OPERATOR[0], "exp": int(time.time()) + 60}, b"x" * 32, algorithm="HS256"
    )
    response = client.get("/api/v1/wallets", headers={"Authorization": f"Bearer {forged}"})
    assert_error(response, 401)


# --- node-signed transfers -----------------------------------------------------------------------


def test_node_signed_transfer_is_pending_then_confirmed(client: httpx.Client, auth: dict) -> None:
    before = client.get("/api/v1/wallets/wallet4/balance").json()
    response = client.post(
        "/api/v1/transactions",
        json={"from": "wallet4", "to": "wallet5", "amount": 2.5, "description": "rent"},
        headers=auth,
    )
    assert response.status_code == 201
    tx = response.json()
    assert tx["status"] == "pending" and tx["memo"] == "rent" and tx["fee"] == 0.0001
    assert tx["fromLabel"] == "wallet4" and tx["toLabel"] == "wallet5"
    confirmed = wait_confirmed(client, tx["hash"])
    assert confirmed["blockHeight"] >= 1
    after = client.get("/api/v1/wallets/wallet4/balance").json()
    assert after["balance"] == pytest.approx(before["balance"] - 2.5001)
    assert after["nonce"] == before["nonce"] + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": OTHER, "amount": 1}, "from"),
        ({"from": OTHER, "to": OTHER, "amount": 1}, "from"),
        ({"from": "wallet1", "amount": 1}, "to"),
        ({"from": "wallet1", "to": "nobody", "amount": 1}, "to"),
        ({"from": "wallet1", "to": OTHER}, "amount"),
        ({"from": "wallet1", "to": OTHER, "amount": 0}, "amount"),
        ({"from": "wallet1", "to": OTHER, "amount": -3}, "amount"),
        ({"from": "wallet1", "to": OTHER, "amount": "5"}, "amount"),
        ({"from": "wallet1", "to": OTHER, "amount": 0.123456789}, "amount"),
        ({"from": "wallet1", "to": OTHER, "amount": 1, "fee": 0.00000001}, "fee"),
        ({"from": "wallet1", "to": OTHER, "amount": 1, "fee": "x"}, "fee"),
        ({"from": "wallet1", "to": OTHER, "amount": 1, "description": 7}, "description"),
        ({"from": "wallet1", "to": OTHER, "amount": 1, "description": "x" * 300}, "description"),
    ],
)
def test_node_signed_transfer_validation(
    client: httpx.Client, auth: dict, body: dict, field: str
) -> None:
    assert_error(client.post("/api/v1/transactions", json=body, headers=auth), 400, field)


def test_node_signed_transfer_beyond_the_balance_is_422(client: httpx.Client, auth: dict) -> None:
    body = {"from": "wallet6", "to": OTHER, "amount": 10**6}
    error = assert_error(client.post("/api/v1/transactions", json=body, headers=auth), 422)
    assert error["error"] == "insufficient_balance"


@pytest.mark.parametrize(
    "raw", [b"{bad json", b"", b"[1,", b'{"amount": NaN}', b"\xff\xfe", b"nul\x00"]
)
def test_malformed_json_is_400(client: httpx.Client, auth: dict, raw: bytes) -> None:
    for path in ("/api/v1/transactions", "/api/v1/transactions/raw", "/api/v1/transactions/batch"):
        response = client.post(
            path, content=raw, headers=auth | {"Content-Type": "application/json"}
        )
        assert_error(response, 400)


def test_body_over_1_mib_is_413(client: httpx.Client) -> None:
    big = b"[" + b"1," * 600_000 + b"1]"
    response = client.post(
        "/api/v1/transactions/batch", content=big, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413)

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * 100_000

    response = client.post(
        "/api/v1/transactions/raw", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413)


# --- signed transactions -------------------------------------------------------------------------


def test_raw_transaction_accepted_and_mined(client: httpx.Client, funded: TestWallet) -> None:
    response = client.post("/api/v1/transactions/raw", json=funded.sign(OTHER, 3 * COIN, memo="ok"))
    assert response.status_code == 201, response.text
    tx = response.json()
    assert tx["status"] == "pending" and tx["amount"] == 3 and tx["from"] == funded.address
    assert wait_confirmed(client, tx["hash"])["status"] == "confirmed"
    balance = client.get(f"/api/v1/wallets/{funded.address}/balance").json()
    assert balance["balance"] == pytest.approx(50 - 3.0001) and balance["nonce"] == 1


def test_a_submission_the_fast_lane_cannot_take_gets_the_same_answer(
    client: httpx.Client, funded: TestWallet
) -> None:
    """A chunked body goes through FastAPI instead of the node's fast lane: same contract."""
    first, second = funded.sign(OTHER, COIN), funded.sign(OTHER, COIN)
    lane = client.post("/api/v1/transactions/raw", json=first)
    chunked = client.post(
        "/api/v1/transactions/raw",
        content=iter([json.dumps(second).encode()]),  # no Content-Length: chunked
        headers={"Content-Type": "application/json"},
    )
    assert (lane.status_code, chunked.status_code) == (201, 201), chunked.text
    assert set(lane.json()) == set(chunked.json())
    assert chunked.json()["status"] == "pending" and chunked.json()["nonce"] == 1
    broken = client.post(
        "/api/v1/transactions/raw",
        content=iter([b"{"]),
        headers={"Content-Type": "application/json"},
    )
    assert_error(broken, 400)


def test_raw_duplicate_is_409_pending_or_confirmed(
    client: httpx.Client, funded: TestWallet
) -> None:
    tx = funded.sign(OTHER, COIN)
    first = client.post("/api/v1/transactions/raw", json=tx)
    assert first.status_code == 201
    wait_confirmed(client, first.json()["hash"])
    assert_error(client.post("/api/v1/transactions/raw", json=tx), 409)


def test_raw_replacement_of_a_waiting_nonce_is_409(
    client: httpx.Client, funded: TestWallet
) -> None:
    # nonce 1 waits for nonce 0, so the pool still holds it when the replacement arrives
    waiting = client.post("/api/v1/transactions/raw", json=funded.sign(OTHER, COIN, nonce=1))
    assert waiting.status_code == 201
    error = assert_error(
        client.post("/api/v1/transactions/raw", json=funded.sign(OTHER, 2 * COIN, nonce=1)), 409
    )
    assert error["error"] == "nonce_pending"
    assert client.get(f"/api/v1/wallets/{funded.address}/balance").json()["pendingNonce"] == 0
    gap = client.post("/api/v1/transactions/raw", json=funded.sign(OTHER, COIN, nonce=0))
    assert gap.status_code == 201
    wait_confirmed(client, gap.json()["hash"])
    wait_confirmed(client, waiting.json()["hash"])
    balance = client.get(f"/api/v1/wallets/{funded.address}/balance").json()
    assert balance["nonce"] == 2


def test_raw_nonce_and_balance_are_422(client: httpx.Client, funded: TestWallet) -> None:
    first = client.post("/api/v1/transactions/raw", json=funded.sign(OTHER, COIN))
    wait_confirmed(client, first.json()["hash"])
    used = funded.sign(OTHER, 2 * COIN, nonce=0)
    assert assert_error(client.post("/api/v1/transactions/raw", json=used), 422)["error"] == (
        "nonce_too_low"
    )
    rich = funded.sign(OTHER, 1000 * COIN)
    assert assert_error(client.post("/api/v1/transactions/raw", json=rich), 422)["error"] == (
        "insufficient_balance"
    )


def test_raw_bad_signature_and_fields_are_400(client: httpx.Client, funded: TestWallet) -> None:
    tx = funded.sign(OTHER, COIN)
    tampered = tx | {"amount": 2}
    assert assert_error(client.post("/api/v1/transactions/raw", json=tampered), 400)["error"] == (
        "invalid_signature"
    )
    assert_error(
        client.post("/api/v1/transactions/raw", json=tx | {"chainId": "x"}), 400, "chainId"
    )
    assert_error(client.post("/api/v1/transactions/raw", json=tx | {"amount": -1}), 400, "amount")
    assert_error(client.post("/api/v1/transactions/raw", json=[tx]), 400, "body")


def test_batch_reports_each_item(client: httpx.Client, funded: TestWallet) -> None:
    good = [funded.sign(OTHER, COIN) for _ in range(3)]
    bad_sig = funded.sign(OTHER, COIN) | {"amount": 5}
    funded.nonce -= 1
    items = [good[0], {"nope": 1}, good[1], good[1], bad_sig, good[2]]
    body = client.post("/api/v1/transactions/batch", json=items).json()
    assert len(body["accepted"]) == 3
    assert [r["index"] for r in body["rejected"]] == [1, 3, 4]
    errors = {r["index"]: r["error"] for r in body["rejected"]}
    assert errors == {1: "validation_failed", 3: "duplicate", 4: "invalid_signature"}
    for tx_hash in body["accepted"]:
        wait_confirmed(client, tx_hash)


@pytest.mark.parametrize("body", [{"a": 1}, "x", 5])
def test_batch_must_be_an_array(client: httpx.Client, body: object) -> None:
    assert_error(client.post("/api/v1/transactions/batch", json=body), 400, "body")


def test_batch_over_1000_is_400(client: httpx.Client) -> None:
    assert_error(client.post("/api/v1/transactions/batch", json=[{}] * 1001), 400, "body")


def test_empty_batch_is_fine(client: httpx.Client) -> None:
    assert client.post("/api/v1/transactions/batch", json=[]).json() == {
        "accepted": [],
        "rejected": [],
    }


# --- wallets and mining --------------------------------------------------------------------------


def test_managed_wallets_and_creation(client: httpx.Client, auth: dict) -> None:
    wallets = client.get("/api/v1/wallets", headers=auth).json()
    assert [w["label"] for w in wallets][:10] == [f"wallet{i}" for i in range(1, 11)]
    assert set(wallets[0]) == {"address", "label", "balance", "nonce"}
    made = client.post("/api/v1/wallets", json={"label": "savings"}, headers=auth)
    assert made.status_code == 201
    assert made.json()["label"] == "savings" and made.json()["balance"] == 0
    unnamed = client.post("/api/v1/wallets", headers=auth).json()
    assert unnamed["label"].startswith("wallet")
    assert_error(client.post("/api/v1/wallets", json={"label": "savings"}, headers=auth), 409)
    for label in ("0xabc", "", "a b", 5, "x" * 65):
        assert_error(client.post("/api/v1/wallets", json={"label": label}, headers=auth), 400)
    tx = client.post(
        "/api/v1/transactions", json={"from": "wallet1", "to": "savings", "amount": 4}, headers=auth
    ).json()
    wait_confirmed(client, tx["hash"])
    assert client.get("/api/v1/wallets/savings/balance").json()["balance"] == 4


def test_mine_on_demand(client: httpx.Client, auth: dict) -> None:
    head = client.get("/api/v1/network/status").json()["blockHeight"]
    mined = client.post("/api/v1/mine", json={"blocks": 2}, headers=auth).json()
    assert [b["height"] for b in mined] == [head + 1, head + 2]
    assert mined[0]["txCount"] == 0
    one = client.post("/api/v1/mine", headers=auth).json()
    assert len(one) == 1
    for blocks in (0, 101, "2", 1.5, True):
        assert_error(client.post("/api/v1/mine", json={"blocks": blocks}, headers=auth), 400)


async def test_wallets_created_at_once_get_distinct_labels(node: NodeProcess, auth: dict) -> None:
    """Unlabelled creations racing each other (three test runs on one cluster did) never collide
    on the next free label, and a label taken meanwhile is 409, not a server error."""
    async with httpx.AsyncClient(base_url=node.url, headers=auth, timeout=30) as client:
        answers = await asyncio.gather(
            *(client.post("/api/v1/wallets", json={}) for _ in range(8)),
            *(client.post("/api/v1/wallets", json={"label": "racer"}) for _ in range(3)),
        )
    unlabelled, labelled = answers[:8], answers[8:]
    assert [r.status_code for r in unlabelled] == [201] * 8
    assert len({r.json()["label"] for r in unlabelled}) == 8
    assert sorted(r.status_code for r in labelled) == [201, 409, 409]

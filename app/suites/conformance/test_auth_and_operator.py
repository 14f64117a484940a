"""Login, tokens, and the operator endpoints: node-signed transfers, wallets, mining."""

from __future__ import annotations

import secrets

import pytest

from app.suites.checks import assert_error
from app.suites.plugin import NodeApi, Target

pytestmark = pytest.mark.native
OTHER = "0x" + "98" * 20


def test_login_gives_a_jwt_that_expires(node: NodeApi, target: Target) -> None:
    if not target.username:
        pytest.skip("needs the node's operator credentials (CHAINDECK_TARGET_USER/PASSWORD)")
    body = node.post(
        "/api/v1/auth/login", {"username": target.username, "password": target.password}
    ).json()
    assert body["token"].count(".") == 2 and body["expiresIn"] > 0


@pytest.mark.parametrize(
    "creds",
    [{"username": "operator", "password": "surely-wrong-" + "x" * 8}, {"username": "nobody-x"}],
)
def test_bad_credentials_are_401_or_400(node: NodeApi, creds: dict) -> None:
    response = node.post("/api/v1/auth/login", creds)
    assert_error(response, 401 if "password" in creds else 400)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/transactions", {"from": "wallet1", "to": OTHER, "amount": 1}),
        ("GET", "/api/v1/wallets", None),
        ("POST", "/api/v1/wallets", {}),
        ("POST", "/api/v1/mine", {"blocks": 1}),
    ],
)
@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic b3A6cHc=", "Bearer a.b.c"])
def test_operator_endpoints_refuse_without_a_valid_token(
    node: NodeApi, method: str, path: str, body: object, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    assert_error(node.http.request(method, path, json=body, headers=headers), 401)


def test_node_signed_transfer_and_its_errors(node: NodeApi) -> None:
    node.purse()  # the run's own wallet, not one of the user's
    auth = node.operator_headers()
    source = node.get(f"/api/v1/wallets/{node.run_label}/balance").json()
    response = node.http.post(
        "/api/v1/transactions",
        json={"from": source["address"], "to": OTHER, "amount": 0.5, "description": "suite"},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    tx = response.json()
    assert tx["status"] == "pending" and tx["memo"] == "suite" and tx["from"] == source["address"]
    assert node.wait_confirmed(tx["hash"])["status"] == "confirmed"
    for bad, field in (
        ({"from": source["address"], "to": OTHER, "amount": 0}, "amount"),
        ({"from": source["address"], "to": "nobody-at-all", "amount": 1}, "to"),
        ({"from": OTHER, "to": OTHER, "amount": 1}, "from"),
    ):
        assert_error(node.http.post("/api/v1/transactions", json=bad, headers=auth), 400, field)
    too_much = {"from": source["address"], "to": OTHER, "amount": source["balance"] + 10**6}
    assert_error(node.http.post("/api/v1/transactions", json=too_much, headers=auth), 422)


def test_wallets_are_listed_and_created(node: NodeApi) -> None:
    auth = node.operator_headers()
    wallets = node.http.get("/api/v1/wallets", headers=auth).json()
    for wallet in wallets:
        assert {"address", "label", "balance", "nonce"} <= set(wallet)
    label = f"{node.run_label}-{secrets.token_hex(2)}"
    made = node.http.post("/api/v1/wallets", json={"label": label}, headers=auth)
    assert made.status_code == 201, made.text
    assert made.json()["label"] == label and made.json()["balance"] == 0
    assert_error(node.http.post("/api/v1/wallets", json={"label": label}, headers=auth), 409)
    assert node.get(f"/api/v1/wallets/{label}/balance").json()["address"] == made.json()["address"]


def test_mine_on_demand(node: NodeApi) -> None:
    auth = node.operator_headers()
    before = node.get("/api/v1/network/status").json()["blockHeight"]
    mined = node.mine(2)
    assert len(mined) == 2 and mined[0]["height"] > before
    assert mined[1]["height"] == mined[0]["height"] + 1
    for blocks in (0, 101, "2", 1.5):
        assert_error(node.http.post("/api/v1/mine", json={"blocks": blocks}, headers=auth), 400)

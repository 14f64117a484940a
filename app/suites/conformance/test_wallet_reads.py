"""GET /api/v1/wallets/{ref}/balance and /transactions."""

from __future__ import annotations

import secrets

import pytest

from app.signing import Signer
from app.suites.checks import assert_error, settled
from app.suites.plugin import NodeApi

pytestmark = pytest.mark.native


def test_an_address_never_seen_has_zero_balance(node: NodeApi) -> None:
    address = "0x" + secrets.token_hex(20)
    body = node.get(f"/api/v1/wallets/{address}/balance").json()
    assert body["address"] == address
    assert (body["balance"], body["nonce"], body["pendingNonce"]) == (0, 0, 0)
    assert node.get(f"/api/v1/wallets/{address}/transactions").json() == []


def test_funded_wallet_balance_and_history(node: NodeApi, funded: Signer) -> None:
    balance = node.get(f"/api/v1/wallets/{funded.address}/balance").json()
    assert balance["balance"] > 0
    history = node.get(f"/api/v1/wallets/{funded.address}/transactions").json()
    assert history and history[-1]["to"] == funded.address  # the funding transfer, oldest
    page = node.get(f"/api/v1/wallets/{funded.address}/transactions", limit=1).json()
    first, listed = settled(page[0]), settled(history[0])
    differ = {k: (first.get(k), listed.get(k)) for k in first.keys() | listed.keys()}
    assert len(page) == 1 and first == listed, {k: v for k, v in differ.items() if v[0] != v[1]}


@pytest.mark.parametrize(
    ("ref", "status"),
    [("0x123", 400), ("0x" + "G" * 40, 400), ("no-such-label-" + "x" * 8, 404)],
)
def test_bad_wallet_references(node: NodeApi, ref: str, status: int) -> None:
    assert_error(node.get(f"/api/v1/wallets/{ref}/balance"), status)
    assert_error(node.get(f"/api/v1/wallets/{ref}/transactions"), status)


@pytest.mark.parametrize(
    ("params", "field"), [({"limit": 101}, "limit"), ({"offset": -1}, "offset")]
)
def test_history_paging_limits(node: NodeApi, params: dict, field: str) -> None:
    address = "0x" + "42" * 20
    assert_error(node.get(f"/api/v1/wallets/{address}/transactions", **params), 400, field)

"""Test helpers that talk to a node as a third-party client does: signing, funding, waiting."""

from __future__ import annotations

import time
from typing import Any

import httpx

from app.signing import Signer


class TestWallet(Signer):
    """The shipped suites' signer (written from node-api.md alone, no backend code), so the
    project's tests and the conformance suite sign the same independent way."""

    __test__ = False  # a helper, not a pytest class


def fund(
    client: httpx.Client, token: str, address: str, coins: float, source: str = "wallet1"
) -> str:
    response = client.post(
        "/api/v1/transactions",
        json={"from": source, "to": address, "amount": coins},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return response.json()["hash"]


def wait_confirmed(client: httpx.Client, tx_hash: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/transactions/{tx_hash}").json()
        if body.get("status") == "confirmed":
            return body
        if time.monotonic() > deadline:
            raise TimeoutError(f"{tx_hash} not confirmed in {timeout}s: {body}")
        time.sleep(0.02)

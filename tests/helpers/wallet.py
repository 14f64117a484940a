"""A signing client as third parties write one: keys, nonces and JSON exactly as the spec says."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import httpx

from backend.chain.crypto import Keypair
from backend.chain.units import COIN


class TestWallet:
    __test__ = False  # a helper, not a pytest class

    def __init__(self, chain_id: str, seed: bytes | None = None) -> None:
        self.key = Keypair(seed or os.urandom(32))
        self.chain_id = chain_id
        self.nonce = 0

    @property
    def address(self) -> str:
        return self.key.address

    def sign(
        self,
        to: str,
        amount_units: int,
        *,
        fee_units: int = 10_000,
        nonce: int | None = None,
        memo: str = "",
    ) -> dict[str, Any]:
        if nonce is None:
            nonce, self.nonce = self.nonce, self.nonce + 1
        message = json.dumps(
            {
                "chainId": self.chain_id,
                "from": self.address,
                "to": to,
                "amount": amount_units,
                "fee": fee_units,
                "nonce": nonce,
                "memo": memo,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        return {
            "chainId": self.chain_id,
            "from": self.address,
            "to": to,
            "amount": amount_units / COIN,
            "fee": fee_units / COIN,
            "nonce": nonce,
            "memo": memo,
            "publicKey": self.key.public_key.hex(),
            "signature": self.key.sign(message).hex(),
        }


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

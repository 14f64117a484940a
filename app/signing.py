"""Signing transfers as a third-party client does, from node-api.md alone (PyNaCl + hashlib):
the suites and the load generator check the node against the contract, not its own code."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from nacl.signing import SigningKey

COIN = 100_000_000


def to_units(coins: float) -> int:
    return round(coins * COIN)


def dev_wallet_seed(dev_seed: str, index: int) -> bytes:
    """The ed25519 seed of dev wallet `index` (1-based: `wallet<index>`) on a chain started with
    `chaindeck node --dev-seed TEXT` (docs/spec/cli.md)."""
    return hashlib.blake2b(
        f"chaindeck-dev-wallet:{dev_seed}:{index}".encode(), digest_size=32
    ).digest()


class Signer:
    def __init__(self, chain_id: str, seed: bytes | None = None) -> None:
        self.key = SigningKey(seed) if seed else SigningKey.generate()
        self.public_key = bytes(self.key.verify_key)
        self.address = "0x" + hashlib.blake2b(self.public_key, digest_size=32).digest()[:20].hex()
        self.chain_id = chain_id
        self.nonce = 0

    @staticmethod
    def signing_bytes(fields: dict[str, Any]) -> bytes:
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def sign(
        self,
        to: str,
        amount_units: int,
        *,
        fee_units: int = 10_000,
        nonce: int | None = None,
        memo: str = "",
        chain_id: str | None = None,
    ) -> dict[str, Any]:
        """A signed transaction body for `/api/v1/transactions/raw`; takes the next nonce."""
        if nonce is None:
            nonce, self.nonce = self.nonce, self.nonce + 1
        fields = {
            "chainId": chain_id or self.chain_id,
            "from": self.address,
            "to": to,
            "amount": amount_units,
            "fee": fee_units,
            "nonce": nonce,
            "memo": memo,
        }
        message = self.signing_bytes(fields)
        signature = self.key.sign(message).signature
        return {
            **fields,
            "amount": amount_units / COIN,
            "fee": fee_units / COIN,
            "publicKey": self.public_key.hex(),
            "signature": signature.hex(),
        }


def signed_body(signer: Signer, to: str, amount_units: int, fee_units: int) -> tuple[bytes, str]:
    """One transfer ready to send: its JSON body and its hash, each computed once (the load
    generator's hot path: no second encoding, no re-derived signing bytes)."""
    nonce, signer.nonce = signer.nonce, signer.nonce + 1
    fields = {
        "chainId": signer.chain_id,
        "from": signer.address,
        "to": to,
        "amount": amount_units,
        "fee": fee_units,
        "nonce": nonce,
        "memo": "",
    }
    message = Signer.signing_bytes(fields)
    signature = signer.key.sign(message).signature
    digest = hashlib.blake2b(message + signature, digest_size=32).hexdigest()
    body = {
        **fields,
        "amount": amount_units / COIN,
        "fee": fee_units / COIN,
        "publicKey": signer.public_key.hex(),
        "signature": signature.hex(),
    }
    return json.dumps(body, separators=(",", ":")).encode(), "0x" + digest


def tx_hash(tx: dict[str, Any]) -> str:
    """The hash node-api.md defines: BLAKE2b-256 over the signing bytes + the signature."""
    fields = {k: tx[k] for k in ("chainId", "from", "to", "nonce", "memo")}
    fields["amount"] = to_units(tx["amount"])
    fields["fee"] = to_units(tx["fee"])
    digest = hashlib.blake2b(
        Signer.signing_bytes(fields) + bytes.fromhex(tx["signature"]), digest_size=32
    )
    return "0x" + digest.hexdigest()

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


class TransferBodies:
    """Signed transfers of one amount and fee from one signer to one recipient, each as its
    JSON body and its hash: the load generator's hot path. The JSON around the nonce is encoded
    once (with json.dumps, so the signing bytes are the spec's to the byte); a transfer costs
    its signature, its hash and a few joins."""

    def __init__(self, signer: Signer, to: str, amount_units: int, fee_units: int) -> None:
        self.signer = signer
        text = json.dumps
        self._sign_head = (
            f'{{"amount":{amount_units},"chainId":{text(signer.chain_id)},"fee":{fee_units},'
            f'"from":{text(signer.address)},"memo":"","nonce":'
        ).encode()
        self._sign_tail = f',"to":{text(to)}}}'.encode()
        self._body_head = (
            f'{{"chainId":{text(signer.chain_id)},"from":{text(signer.address)},'
            f'"to":{text(to)},"amount":{text(amount_units / COIN)},'
            f'"fee":{text(fee_units / COIN)},"nonce":'
        ).encode()
        self._body_key = (
            f',"memo":"","publicKey":"{signer.public_key.hex()}","signature":"'.encode()
        )

    def next(self) -> tuple[bytes, str]:
        """The signer's next transfer (it takes the next nonce)."""
        signer = self.signer
        nonce, signer.nonce = signer.nonce, signer.nonce + 1
        number = str(nonce).encode()
        message = self._sign_head + number + self._sign_tail
        signature = signer.key.sign(message).signature
        digest = hashlib.blake2b(message + signature, digest_size=32).hexdigest()
        body = self._body_head + number + self._body_key + signature.hex().encode() + b'"}'
        return body, "0x" + digest


def tx_hash(tx: dict[str, Any]) -> str:
    """The hash node-api.md defines: BLAKE2b-256 over the signing bytes + the signature."""
    fields = {k: tx[k] for k in ("chainId", "from", "to", "nonce", "memo")}
    fields["amount"] = to_units(tx["amount"])
    fields["fee"] = to_units(tx["fee"])
    digest = hashlib.blake2b(
        Signer.signing_bytes(fields) + bytes.fromhex(tx["signature"]), digest_size=32
    )
    return "0x" + digest.hexdigest()

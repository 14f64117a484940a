"""The load generator's transfers (TransferBodies) are the spec's, to the byte: the same body
and hash as a transfer signed field by field (Signer.sign, json.dumps), whatever the chain id
holds, and a node takes them (tests/runs covers that end to end)."""

from __future__ import annotations

import json

import pytest

from app.signing import Signer, TransferBodies, tx_hash


@pytest.mark.parametrize("chain_id", ["chaindeck-devnet", 'quote"back\\slash', "ünïcødé-☃"])
@pytest.mark.parametrize(("amount", "fee"), [(1, 10_000), (123_456_789, 1), (10**12, 0)])
def test_bodies_and_hashes_equal_the_reference_signing(
    chain_id: str, amount: int, fee: int
) -> None:
    seed = bytes(range(32))
    fast, reference = Signer(chain_id, seed), Signer(chain_id, seed)
    bodies = TransferBodies(fast, "0x" + "ab" * 20, amount, fee)
    for nonce in (0, 1, 9, 10, 12345):
        fast.nonce = reference.nonce = nonce
        body, hashed = bodies.next()
        expected = reference.sign("0x" + "ab" * 20, amount, fee_units=fee)
        assert body == json.dumps(expected, separators=(",", ":")).encode()
        assert hashed == tx_hash(expected)
        assert fast.nonce == nonce + 1

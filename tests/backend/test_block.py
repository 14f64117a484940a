"""Blocks: merkle root, header hash, proof-of-work and the producer signature."""

from __future__ import annotations

import dataclasses

import pytest

from backend.chain.block import InvalidBlock, check_block, leading_zero_bits, merkle_root, seal
from backend.chain.crypto import ZERO_HASH, Keypair, blake2b256
from backend.chain.transaction import sign_transfer

PRODUCER = Keypair(bytes([7]) * 32)
SENDER = Keypair(bytes([8]) * 32)


def txs(n: int) -> list:
    return [sign_transfer(SENDER, "c", "0x" + "11" * 20, 1, 10_000, i) for i in range(n)]


def test_merkle_root_of_nothing_one_and_odd_counts() -> None:
    assert merkle_root([]) == ZERO_HASH
    one = "0x" + "aa" * 32
    assert merkle_root([one]) == one
    a, b, c = (bytes([x]) * 32 for x in (1, 2, 3))
    ab = blake2b256(a + b)
    cc = blake2b256(c + c)
    expected = "0x" + blake2b256(ab + cc).hex()
    assert merkle_root(["0x" + h.hex() for h in (a, b, c)]) == expected


def test_sealed_block_checks_out_and_any_tamper_is_caught() -> None:
    block = seal(
        height=1,
        previous_hash=ZERO_HASH,
        timestamp=1,
        producer=PRODUCER,
        transactions=txs(3),
        difficulty=0,
    )
    check_block(block, PRODUCER.public_key)
    for change in ({"timestamp": 2}, {"previous_hash": "0x" + "01" * 32}, {"tx_count": 2}):
        with pytest.raises(InvalidBlock):
            check_block(dataclasses.replace(block, **change), PRODUCER.public_key)
    with pytest.raises(InvalidBlock, match="merkle"):
        check_block(dataclasses.replace(block, transactions=txs(3)[::-1]), PRODUCER.public_key)
    with pytest.raises(InvalidBlock, match="producer"):
        check_block(block, SENDER.public_key)


def test_proof_of_work_meets_the_difficulty() -> None:
    block = seal(
        height=1,
        previous_hash=ZERO_HASH,
        timestamp=1,
        producer=PRODUCER,
        transactions=[],
        difficulty=10,
    )
    assert leading_zero_bits(bytes.fromhex(block.hash[2:])) >= 10
    check_block(block, PRODUCER.public_key)
    with pytest.raises(InvalidBlock, match="proof of work"):
        lazy = dataclasses.replace(block, nonce=block.nonce + 1)
        lazy.hash = lazy.compute_hash()
        check_block(lazy, PRODUCER.public_key)

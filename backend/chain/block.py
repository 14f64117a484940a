"""Blocks: header hash, merkle root, proof-of-work and the producer's signature."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from backend.chain.crypto import Keypair, address_from_public_key, blake2b256, verify
from backend.chain.transaction import Transaction

HEADER_FIELDS = (
    "height",
    "previousHash",
    "timestamp",
    "producer",
    "merkleRoot",
    "difficulty",
    "nonce",
    "txCount",
    "size",
)
# Bytes a header adds to a block's size, on top of its transactions' signed encodings.
HEADER_BYTES = 256


def merkle_root(tx_hashes: list[str]) -> str:
    """Binary BLAKE2b-256 merkle tree over the transaction hashes; an odd level repeats its last."""
    if not tx_hashes:
        return "0x" + "00" * 32
    level = [bytes.fromhex(h[2:]) for h in tx_hashes]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [blake2b256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return "0x" + level[0].hex()


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


@dataclass(slots=True)
class Block:
    height: int
    previous_hash: str
    timestamp: int
    producer: str
    merkle_root: str
    difficulty: int
    nonce: int
    tx_count: int
    size: int
    hash: str = ""
    signature: bytes = b""
    transactions: list[Transaction] = field(default_factory=list, repr=False)

    def header(self) -> dict[str, Any]:
        return {
            "height": self.height,
            "previousHash": self.previous_hash,
            "timestamp": self.timestamp,
            "producer": self.producer,
            "merkleRoot": self.merkle_root,
            "difficulty": self.difficulty,
            "nonce": self.nonce,
            "txCount": self.tx_count,
            "size": self.size,
        }

    def header_prefix(self) -> bytes:
        """The canonical header bytes that the block hash and proof-of-work cover."""
        return json.dumps(self.header(), sort_keys=True, separators=(",", ":")).encode()

    def compute_hash(self) -> str:
        return "0x" + blake2b256(self.header_prefix()).hex()

    def summary(self) -> dict[str, Any]:
        out = self.header()
        out["hash"] = self.hash
        out["signature"] = self.signature.hex()
        return out


def block_size(transactions: list[Transaction]) -> int:
    return HEADER_BYTES + sum(tx.size for tx in transactions)


def seal(
    *,
    height: int,
    previous_hash: str,
    timestamp: int,
    producer: Keypair,
    transactions: list[Transaction],
    difficulty: int,
) -> Block:
    """Build, mine (when difficulty > 0) and sign a block. CPU-bound: callers run it off-loop."""
    block = Block(
        height=height,
        previous_hash=previous_hash,
        timestamp=timestamp,
        producer=producer.address,
        merkle_root=merkle_root([tx.hash for tx in transactions]),
        difficulty=difficulty,
        nonce=0,
        tx_count=len(transactions),
        size=block_size(transactions),
        transactions=transactions,
    )
    digest = blake2b256(block.header_prefix())
    while difficulty and leading_zero_bits(digest) < difficulty:
        block.nonce += 1
        digest = blake2b256(block.header_prefix())
    block.hash = "0x" + digest.hex()
    block.signature = producer.sign(digest)
    return block


class InvalidBlock(ValueError):
    """A block that fails a check of check_block; the message names the block and the check."""


def check_block(block: Block, producer_public_key: bytes) -> None:
    """Everything about a block that needs no ledger: hashes, merkle root, work and signature."""
    if block.producer != address_from_public_key(producer_public_key):
        raise InvalidBlock(f"block {block.height} has an unknown producer {block.producer}")
    if block.tx_count != len(block.transactions):
        raise InvalidBlock(f"block {block.height} counts {block.tx_count} transactions")
    if block.merkle_root != merkle_root([tx.hash for tx in block.transactions]):
        raise InvalidBlock(f"block {block.height} has a wrong merkle root")
    digest = blake2b256(block.header_prefix())
    if "0x" + digest.hex() != block.hash:
        raise InvalidBlock(f"block {block.height} has a wrong hash")
    if leading_zero_bits(digest) < block.difficulty:
        raise InvalidBlock(f"block {block.height} lacks its proof of work")
    if not verify(producer_public_key, digest, block.signature):
        raise InvalidBlock(f"block {block.height} has a bad producer signature")

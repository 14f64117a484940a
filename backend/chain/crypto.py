"""ed25519 keys (libsodium through PyNaCl), BLAKE2b-256 hashes and addresses."""

from __future__ import annotations

import hashlib
import os
import re

import nacl.bindings
import nacl.exceptions

ADDRESS_RE = re.compile(r"0x[0-9a-f]{40}")
HASH_RE = re.compile(r"0x[0-9a-f]{64}")
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_HASH = "0x" + "00" * 32


def blake2b256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def dev_wallet_seed(dev_seed: str, index: int) -> bytes:
    """Dev wallet `index` (1-based, label `wallet<index>`) of a chain made with `--dev-seed`:
    BLAKE2b-256 of "chaindeck-dev-wallet:<seed>:<index>" (docs/spec/cli.md), so a script knows
    the keys from the seed alone, like anvil's published accounts."""
    return blake2b256(f"chaindeck-dev-wallet:{dev_seed}:{index}".encode())


def address_from_public_key(public_key: bytes) -> str:
    return "0x" + blake2b256(public_key)[:20].hex()


def is_address(value: object) -> bool:
    return isinstance(value, str) and ADDRESS_RE.fullmatch(value) is not None


def is_hash(value: object) -> bool:
    return isinstance(value, str) and HASH_RE.fullmatch(value) is not None


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        # crypto_sign_open releases the GIL: a reader thread may run while the loop verifies.
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


class Keypair:
    """An ed25519 signing key built from its 32-byte seed."""

    __slots__ = ("_secret", "address", "public_key", "seed")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("an ed25519 seed is 32 bytes")
        self.seed = seed
        self.public_key, self._secret = nacl.bindings.crypto_sign_seed_keypair(seed)
        self.address = address_from_public_key(self.public_key)

    @classmethod
    def generate(cls) -> Keypair:
        return cls(os.urandom(32))

    def sign(self, message: bytes) -> bytes:
        return nacl.bindings.crypto_sign(message, self._secret)[:64]

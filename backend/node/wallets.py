"""Wallets whose keys the node holds: the dev wallets of genesis and those made through the API."""

from __future__ import annotations

import re

from backend.chain.crypto import Keypair, is_address

# A wallet label: what `{ref}` in a path may be besides an address.
LABEL_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")


class LabelTaken(Exception):
    """A wallet label already in use."""


class WalletBook:
    def __init__(self) -> None:
        self.keys: dict[str, Keypair] = {}
        self.labels: dict[str, str] = {}  # address -> label
        self.by_label: dict[str, str] = {}  # label -> address

    def add(self, key: Keypair, label: str) -> None:
        self.keys[key.address] = key
        self.labels[key.address] = label
        self.by_label[label] = key.address

    def resolve(self, ref: str) -> str | None:
        """An address for a reference that is an address or a known label; None if neither."""
        if is_address(ref):
            return ref
        return self.by_label.get(ref)

    def next_label(self) -> str:
        n = len(self.keys) + 1
        while f"wallet{n}" in self.by_label:
            n += 1
        return f"wallet{n}"

    def __len__(self) -> int:
        return len(self.keys)

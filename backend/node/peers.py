"""The nodes a node knows: a producer's followers (from their heartbeats), a follower's producer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

# A follower heartbeats every second; after this long without one it is no longer listed.
FORGET_AFTER_S = 60.0
# Followers listed at most: the oldest heard from is forgotten first.
MAX_PEERS = 256
# Requests from a follower carry this header: "<its public URL> <its height>".
FOLLOWER_HEADER = "x-chaindeck-follower"
# A producer's /health answers with its ed25519 public key, which followers need to check block
# signatures (a block names its producer by address only).
PRODUCER_KEY_HEADER = "x-chaindeck-producer-key"


@dataclass(slots=True)
class Peer:
    url: str
    role: str
    height: int
    last_seen_ms: int
    seen_monotonic: float

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "role": self.role,
            "height": self.height,
            "lastSeen": self.last_seen_ms,
        }


def parse_follower_header(value: str) -> tuple[str, int] | None:
    url, _, height = value.strip().partition(" ")
    if not url.startswith(("http://", "https://")) or len(url) > 300:
        return None
    try:
        return url, int(height)
    except ValueError:
        return None


class PeerBook:
    def __init__(self) -> None:
        self._peers: dict[str, Peer] = {}

    def saw(self, url: str, role: str, height: int) -> None:
        self._peers.pop(url, None)  # re-inserted last: the dict stays in order of last contact
        self._peers[url] = Peer(url, role, height, int(time.time() * 1000), time.monotonic())
        while len(self._peers) > MAX_PEERS:
            del self._peers[next(iter(self._peers))]

    def listing(self) -> list[dict[str, Any]]:
        cutoff = time.monotonic() - FORGET_AFTER_S
        for url in [u for u, p in self._peers.items() if p.seen_monotonic < cutoff]:
            del self._peers[url]
        return [p.to_json() for p in sorted(self._peers.values(), key=lambda p: p.url)]

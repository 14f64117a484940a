"""One status reading of a node, whatever its protocol: what `chaindeck status` prints and the
fleet view shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class NodeSnapshot:
    kind: str  # native | ethereum
    version: str
    chain_id: str
    height: int
    latest_hash: str
    peers: int | None  # None: the node does not say
    mempool: int | None
    latency_ms: float
    role: str = ""
    problem: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        extra = out.pop("extra")
        return {
            "kind": out["kind"],
            "version": out["version"],
            "chainId": out["chain_id"],
            "height": out["height"],
            "latestHash": out["latest_hash"],
            "peers": out["peers"],
            "mempool": out["mempool"],
            "latencyMs": round(out["latency_ms"], 2),
            "role": out["role"],
            **({"problem": out["problem"]} if out["problem"] else {}),
            **extra,
        }

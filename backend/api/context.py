"""What every route needs: the node, auth, the WebSocket hub, metrics, and the shared views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.api.auth import Auth
from backend.api.errors import ApiError
from backend.api.metrics import NodeMetrics
from backend.api.ws_hub import Hub
from backend.chain.mempool import Rejected
from backend.chain.transaction import Transaction
from backend.node.node import Node
from backend.node.peers import PRODUCER_KEY_HEADER, parse_follower_header

Headers = list[tuple[bytes, bytes]]


@dataclass(slots=True)
class ApiContext:
    node: Node
    auth: Auth
    hub: Hub
    metrics: NodeMetrics

    def label_tx(self, tx: dict[str, Any]) -> dict[str, Any]:
        labels = self.node.wallets.labels
        label = labels.get(tx["from"])
        if label:
            tx["fromLabel"] = label
        label = labels.get(tx["to"])
        if label:
            tx["toLabel"] = label
        height = tx.get("blockHeight")
        tx["confirmations"] = 0 if height is None else self.node.head.height - height + 1
        return tx

    def pending_view(self, tx: Transaction) -> dict[str, Any]:
        out = tx.to_json()
        out["timestamp"] = tx.received
        out["status"] = "pending"
        out["blockHeight"] = None
        out["blockHash"] = None
        return self.label_tx(out)

    def health(
        self, follower: str | None, authorization: str | None = None
    ) -> tuple[int, dict[str, Any], Headers]:
        """`/health`, which is also a follower's heartbeat: it names itself in a header and
        learns the key that signs the blocks it will check. Only a follower that sends the
        cluster's operator token is listed: anyone else could fill the peer list."""
        if follower is not None and authorization is not None:
            parsed = parse_follower_header(follower)
            if parsed is not None and self.auth.token_valid(authorization):
                self.node.peers.saw(parsed[0], "follower", parsed[1])
        status, body = self.node.health()
        key = self.node.producer_public_key
        headers = [(PRODUCER_KEY_HEADER.encode(), key.hex().encode())] if key else []
        return status, body, headers

    def on_transactions(self, txs: list[Transaction]) -> None:
        if self.hub.wants("transactions"):
            self.hub.publish_transactions([self.pending_view(tx) for tx in txs])


def rejection(exc: Rejected) -> ApiError:
    return ApiError(exc.status, exc.message, exc.code)

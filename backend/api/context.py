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

    def on_transactions(self, txs: list[Transaction]) -> None:
        if self.hub.wants("transactions"):
            self.hub.publish_transactions([self.pending_view(tx) for tx in txs])


def rejection(exc: Rejected) -> ApiError:
    return ApiError(exc.status, exc.message, exc.code)

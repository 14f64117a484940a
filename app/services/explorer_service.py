"""Looking things up on the active node: pages of blocks, one block, one transaction, an
address, and the search box that takes any of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject

from app.clients.errors import NodeError
from app.clients.kinds import NodeClient
from app.services.lifecycle import Lifecycle
from app.services.node_service import NodeService

HASH_RE = re.compile(r"^0x[0-9a-f]{64}$")
ADDRESS_RE = re.compile(r"^0x[0-9a-f]{40}$")
LABEL_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
HEX_RE = re.compile(r"[0-9a-f]+")
PAGE = 50
SUGGESTIONS = 5
NODE_PAGE = 100  # the node's largest page (node-api.md `limit`)


@dataclass(frozen=True)
class Found:
    kind: str  # block | transaction | address
    data: dict[str, Any]


class SearchError(Exception):
    """The search text matches nothing, or is no kind of reference; for the user."""


class ExplorerService(QObject, Lifecycle):
    def __init__(self, node: NodeService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.node = node

    def _client(self) -> NodeClient:
        if self.node.client is None:
            raise NodeError("no node is connected")
        return self.node.client

    async def blocks(self, offset: int, limit: int = PAGE) -> list[dict[str, Any]]:
        return await self._client().blocks(limit=limit, offset=offset)

    async def transactions(self, offset: int, limit: int = PAGE) -> list[dict[str, Any]]:
        """Newest first, pending ones included, read in the node's pages of at most 100."""
        client, found, seen = self._client(), [], set()
        while len(found) < limit:
            want = min(NODE_PAGE, limit - len(found))
            page = await client.transactions(limit=want, offset=offset)
            for tx in page:
                if tx["hash"] not in seen:  # a new transaction shifts the pages by one
                    seen.add(tx["hash"])
                    found.append(tx)
            if len(page) < want:
                break
            offset += len(page)
        return found

    async def block(self, ref: int | str) -> dict[str, Any]:
        return await self._client().block(ref)

    async def transaction(self, tx_hash: str) -> dict[str, Any]:
        tx = await self._client().transaction(tx_hash)
        height = tx.get("blockHeight")
        tx["confirmations"] = (
            max(0, self.node.height - int(height) + 1) if height is not None else 0
        )
        return tx

    async def address(self, ref: str, offset: int = 0, limit: int = PAGE) -> dict[str, Any]:
        client = self._client()
        balance = await client.balance(ref)
        history = await client.address_transactions(balance["address"], limit=limit, offset=offset)
        return {
            **balance,
            "transactions": history,
            "offset": offset,
            "limit": limit,
            "history": "address_history" in client.features,
        }

    async def search(self, text: str) -> Found:
        """A height, block hash, transaction hash, address or wallet label, forgivingly: hex
        in any case and with or without 0x, labels in any case, commas in a height; a label's
        beginning suggests the labels it starts."""
        query = text.strip().strip("\"'")
        lowered = query.lower()
        if not query:
            raise SearchError("type a height, a hash, an address or a wallet label")
        bare = lowered.removeprefix("0x")
        if len(bare) in (40, 64) and HEX_RE.fullmatch(bare):
            lowered = "0x" + bare
        try:
            height = query.replace(",", "").replace("_", "").removeprefix("#")
            if height.isdigit():
                return Found("block", await self.block(int(height)))
            if HASH_RE.match(lowered):
                try:
                    return Found("transaction", await self.transaction(lowered))
                except NodeError as exc:
                    if exc.status != 404:
                        raise
                return Found("block", await self.block(lowered))
            if ADDRESS_RE.match(lowered):
                return Found("address", await self.address(lowered))
            if LABEL_RE.match(query):
                return await self._label(query)
        except NodeError as exc:
            if exc.status == 404:
                raise SearchError(f"nothing on this node matches “{query}”") from exc
            raise
        raise SearchError(
            f"“{query}” is not a height, a 0x hash (64 hex digits), an address (0x + 40 hex "
            "digits) or a wallet label"
        )

    async def _label(self, query: str) -> Found:
        try:
            return Found("address", await self.address(query))
        except NodeError as exc:
            if exc.status != 404:
                raise
        labels = await self.labels()
        same = [label for label in labels if label.lower() == query.lower()]
        if same:
            return Found("address", await self.address(same[0]))
        starting = sorted(
            (label for label in labels if label.lower().startswith(query.lower())),
            key=lambda label: (len(label), label),
        )
        if starting:
            shown = ", ".join(starting[:SUGGESTIONS])
            more = f" and {len(starting) - SUGGESTIONS} more" if len(starting) > SUGGESTIONS else ""
            raise SearchError(f"no wallet is labelled “{query}”; did you mean {shown}{more}?")
        raise SearchError(f"nothing on this node matches “{query}”")

    async def labels(self) -> list[str]:
        """The node's wallet labels, when it lists them to us (operator); else none."""
        try:
            wallets = await self._client().wallets()
        except NodeError:
            return []
        return [str(w["label"]) for w in wallets if w.get("label")]

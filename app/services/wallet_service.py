"""The active node's managed wallets, their live balances, and transfers sent from them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app import dev_keys
from app.clients.errors import NodeError
from app.services.lifecycle import Lifecycle
from app.services.node_service import NodeService
from app.tasks import cancel_all, spawn

REFRESH_DELAY_MS = 250  # a burst of blocks costs one refresh


class WalletService(QObject, Lifecycle):
    walletsChanged = Signal(object)
    walletsFailed = Signal(str)
    transactionSent = Signal(object)
    transactionConfirmed = Signal(object)

    def __init__(
        self,
        node: NodeService,
        parent: QObject | None = None,
        *,
        dev_seed: Callable[[], str | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self.node = node
        self.dev_seed = dev_seed  # the active node's dev seed: the devnet's, when it is shown
        self.wallets: list[dict[str, Any]] = []
        self.pending: dict[str, dict[str, Any]] = {}
        self.failing = False
        self._tasks: list[asyncio.Task[Any]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self._refresh_soon)
        node.blockReceived.connect(lambda _block: self._timer.start())
        node.caughtUp.connect(lambda _height: self._timer.start())
        node.nodeChanged.connect(self._node_changed)

    def _node_changed(self, _name: str) -> None:
        self.wallets = []
        self.pending.clear()
        self.walletsChanged.emit([])

    def _refresh_soon(self) -> None:
        if not any(t.get_name() == "wallets-refresh" for t in self._tasks):
            spawn(self._tasks, self._refresh_quietly(), "wallets-refresh")

    async def _refresh_quietly(self) -> None:
        try:
            await self.refresh()
        except NodeError as exc:
            self.failing = True
            self.walletsFailed.emit(exc.message)
        else:
            if self.failing:  # "" clears the error shown: it is not true any more
                self.failing = False
                self.walletsFailed.emit("")

    async def refresh(self) -> list[dict[str, Any]]:
        client = self._client()
        wallets = await client.wallets()
        if wallets != self.wallets:
            self.wallets = wallets
            self.walletsChanged.emit(wallets)
        await self._check_pending()
        return wallets

    async def _check_pending(self) -> None:
        client = self._client()
        for tx_hash in list(self.pending):
            try:
                tx = await client.transaction(tx_hash)
            except NodeError as exc:
                if exc.status == 404:
                    self.pending.pop(tx_hash, None)
                continue
            if tx.get("status") == "confirmed":
                self.pending.pop(tx_hash, None)
                self.transactionConfirmed.emit(tx)

    @property
    def features(self) -> frozenset[str]:
        """What the active node offers (an Ethereum node makes no wallets, prices its own gas)."""
        client = self.node.client
        return client.features if client is not None else frozenset()

    def _client(self) -> Any:
        if self.node.client is None:
            raise NodeError("no node is connected")
        return self.node.client

    async def create(self, label: str | None = None) -> dict[str, Any]:
        wallet = await self._client().create_wallet(label or None)
        await self.refresh()
        return wallet

    async def send(
        self, sender: str, to: str, amount: Any, fee: Any = None, memo: str = ""
    ) -> dict[str, Any]:
        """Node-signed transfer; raises NodeError with the node's own 400/422 message."""
        tx = await self._client().send(sender, to, amount, fee, memo)
        self.pending[tx["hash"]] = tx
        self.transactionSent.emit(tx)
        self._timer.start()
        return tx

    def dev_keys(self) -> list[dict[str, str]]:
        """The shown node's dev wallets whose keys its dev seed gives (the devnet's only)."""
        return dev_keys.dev_keys(self.dev_seed(), self.wallets)

    def export_dev_keys(self, path: Path) -> int:
        """Write the dev keys to `path` (JSON, mode 0600); how many were written."""
        keys = self.dev_keys()
        chain_id = str(self.node.status.get("chainId", ""))
        dev_keys.export(path, self.dev_seed() or "", chain_id, keys)
        return len(keys)

    async def stop(self) -> None:
        self._timer.stop()
        await cancel_all(self._tasks)

"""The active node: its connection, live blocks, status and latency. The blocks come from the
shared gap-free follower (app/clients/block_stream.py): consumers see every block exactly once,
oldest first, across reconnects and `lagged`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.clients.block_stream import Block, BlockStream, CaughtUp, StateChanged, Status
from app.clients.errors import NodeError
from app.clients.kinds import NodeClient
from app.services.lifecycle import Lifecycle
from app.tasks import cancel_all, spawn

LATENCY_EVERY = 2.0
# Not "transactions": under load that is thousands of messages a second nobody shows; a sent
# transaction's fate is read when the blocks come.
CHANNELS = ("blocks", "status")


class NodeService(QObject, Lifecycle):
    connectionChanged = Signal(str, str)  # state: idle|connecting|live|lost, detail
    nodeChanged = Signal(str)  # the name of the node now active
    statusChanged = Signal(object)
    heightChanged = Signal(int)
    blockReceived = Signal(object)
    latencyChanged = Signal(float)
    caughtUp = Signal(int)  # back-fill finished at this height (after a reconnect or lag)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client: NodeClient | None = None
        self.name = ""
        self.state = "idle"
        self._restarting = False
        self.detail = ""
        self.height = -1
        self.status: dict[str, Any] = {}
        self.latency_ms = 0.0
        self._tasks: list[asyncio.Task[Any]] = []

    # -- control -----------------------------------------------------------------------------
    async def connect_to(self, client: NodeClient, name: str) -> None:
        """Make `client` the active node (closing the previous one)."""
        await self.disconnect()
        self.client = client
        self.name = name
        self.height = -1
        self.status = {}
        self.nodeChanged.emit(name)
        spawn(self._tasks, self._follow(client), "node-follow")
        spawn(self._tasks, self._measure_latency(client), "node-latency")

    async def mine(self, blocks: int = 1) -> str:
        """Seal blocks on the active node (operator rights, or a dev Ethereum node); the
        problem for the user, or "" when done."""
        if self.client is None:
            return "no node is connected"
        try:
            await self.client.mine(blocks)
        except NodeError as exc:
            return str(exc)
        return ""

    async def unreachable(self, name: str, detail: str) -> None:
        """`name` is chosen but cannot be reached to learn what it is: say so, show nothing."""
        await self.disconnect()
        self.name = name
        self.nodeChanged.emit(name)
        self._set_state("lost", detail)

    async def disconnect(self) -> None:
        await cancel_all(self._tasks)
        if self.client is not None:
            await self.client.close()
            self.client = None
        self._set_state("idle", "")

    async def stop(self) -> None:
        await self.disconnect()

    # -- state -------------------------------------------------------------------------------
    def expect_restart(self) -> None:
        """The node is being restarted on purpose: until it is back, it is "restarting", not
        lost (an errno in red for something the user asked for would mislead)."""
        self._restarting = True
        if self.state == "lost":
            self._set_state("restarting", "restarting")

    def _set_state(self, state: str, detail: str) -> None:
        if state == "live" or state == "idle":
            self._restarting = False
        elif state == "lost" and self._restarting:
            state, detail = "restarting", "restarting"
        if (state, detail) != (self.state, self.detail):
            self.state, self.detail = state, detail
            self.connectionChanged.emit(state, detail)

    def _set_height(self, height: int) -> None:
        if height != self.height:
            self.height = height
            self.heightChanged.emit(height)

    # -- the subscription --------------------------------------------------------------------
    async def _follow(self, client: NodeClient) -> None:
        async for item in BlockStream(client, CHANNELS):
            if isinstance(item, Block):
                self._set_height(item.height)
                self.blockReceived.emit(item.block)
            elif isinstance(item, Status):
                self._take_status(item.status)
            elif isinstance(item, CaughtUp):
                self._set_height(item.height)
                self.caughtUp.emit(item.height)
            elif isinstance(item, StateChanged):
                self._set_state(item.state, item.detail)

    def _take_status(self, status: dict[str, Any]) -> None:
        if status != self.status:
            self.status = status
            self.statusChanged.emit(status)

    async def _measure_latency(self, client: NodeClient) -> None:
        while True:
            started = time.perf_counter()
            try:
                await client.health()
            except NodeError:
                pass  # the subscription reports a lost node; latency just skips a sample
            else:
                self.latency_ms = (time.perf_counter() - started) * 1000
                self.latencyChanged.emit(self.latency_ms)
            await asyncio.sleep(LATENCY_EVERY)

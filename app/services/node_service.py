"""The active node: its connection, live blocks, status and latency.

One subscription task follows the node's WebSocket. On every (re)connect it subscribes first and
then reads the status, so no block falls between the two; heights missed while the socket was
down, or dropped by the node for a slow client (`lagged`), are back-filled over REST in order.
Consumers therefore see every block exactly once, oldest first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.clients.errors import NodeError
from app.clients.kinds import NodeClient
from app.tasks import cancel_all, spawn

RANGE_LIMIT = 500
BACKFILL_MAX = 5000  # beyond this the explorer pages; replaying more would only cost time
LATENCY_EVERY = 2.0
RETRY_DELAYS = (1, 2, 4, 8, 10)
# Not "transactions": under load that is thousands of messages a second nobody shows; a sent
# transaction's fate is read when the blocks come.
CHANNELS = ("blocks", "status")


class NodeService(QObject):
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
    def _set_state(self, state: str, detail: str) -> None:
        if (state, detail) != (self.state, self.detail):
            self.state, self.detail = state, detail
            self.connectionChanged.emit(state, detail)

    def _set_height(self, height: int) -> None:
        if height != self.height:
            self.height = height
            self.heightChanged.emit(height)

    def _take_block(self, block: dict[str, Any]) -> None:
        height = int(block["height"])
        if height <= self.height:
            return
        block.pop("transactions", None)  # subscribers get summaries, as from the socket
        self._set_height(height)
        self.blockReceived.emit(block)

    # -- the subscription --------------------------------------------------------------------
    async def _follow(self, client: NodeClient) -> None:
        failures = 0
        while True:
            self._set_state("connecting", client.url)
            try:
                async with contextlib.aclosing(client.subscribe(CHANNELS)) as feed:
                    async for message in feed:
                        kind = message.get("type")
                        if kind == "subscribed":
                            await self._catch_up(client)
                            failures = 0
                            self._set_state("live", client.url)
                        elif kind == "new_block":
                            block = message["block"]
                            if int(block["height"]) > self.height + 1 and self.height >= 0:
                                await self._catch_up(client, upto=int(block["height"]) - 1)
                            self._take_block(block)
                        elif kind == "network_status":
                            self._take_status(message["status"])
                        elif kind == "lagged":
                            await self._catch_up(client)
            except NodeError as exc:
                detail = exc.message
            except (KeyError, TypeError, ValueError) as exc:
                detail = f"unexpected message from the node: {exc}"
            else:
                detail = "the node closed the live feed"
            delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
            failures += 1
            for left in range(delay, 0, -1):
                self._set_state("lost", f"{detail}; retrying in {left} s")
                await asyncio.sleep(1)

    def _take_status(self, status: dict[str, Any]) -> None:
        if status != self.status:
            self.status = status
            self.statusChanged.emit(status)

    async def _catch_up(self, client: NodeClient, upto: int | None = None) -> None:
        """Emit every block after the last one seen, up to the node's head, oldest first."""
        if upto is None:
            status = await client.status()
            self._take_status(status)
            upto = int(status["blockHeight"])
        if self.height < 0 or upto - self.height > BACKFILL_MAX:
            self._set_height(upto)  # first sight of this node: start at its head
        else:
            first = self.height + 1
            while first <= upto:
                last = min(upto, first + RANGE_LIMIT - 1)
                for block in await client.block_range(first, last):
                    self._take_block(block)
                first = last + 1
        self.caughtUp.emit(self.height)

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

"""Every block of one node exactly once, oldest first, whatever its socket does: the one
gap-free follower behind the window's active node, the fleet and `chaindeck watch`.

On every (re)connect it subscribes first and then reads the head, so no block falls between the
two; heights missed while the socket was down, or dropped by the node for a slow client
(`lagged`), are back-filled over REST in order. Reconnects back off with jitter, so a fleet of
windows does not reconnect to a restarted node in step.

    stream = BlockStream(client)
    async for item in stream:   # Block | Status | CaughtUp | StateChanged
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from app.clients.errors import NodeError

RANGE_LIMIT = 500
BACKFILL_MAX = 5000  # beyond this a consumer pages; replaying more would only cost time
RETRY_DELAYS = (1, 2, 4, 8, 10)
JITTER = 0.2  # ± this share of each delay


class Followable(Protocol):
    url: str

    def subscribe(self, channels: tuple[str, ...]) -> AsyncIterator[dict[str, Any]]: ...

    async def status(self) -> dict[str, Any]: ...

    async def block_range(self, first: int, last: int) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Block:
    block: dict[str, Any]

    @property
    def height(self) -> int:
        return int(self.block["height"])


@dataclass(frozen=True)
class Status:
    status: dict[str, Any]


@dataclass(frozen=True)
class CaughtUp:
    """Back-fill (after a connect, a gap or `lagged`) ended at this height."""

    height: int


@dataclass(frozen=True)
class StateChanged:
    state: str  # connecting | live | lost
    detail: str


StreamItem = Block | Status | CaughtUp | StateChanged


class BlockStream:
    def __init__(
        self,
        client: Followable,
        channels: tuple[str, ...] = ("blocks",),
        *,
        after: int | None = None,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        give_up_after: int | None = None,
    ) -> None:
        """`after`: the last height the consumer has (None: start at the node's head).
        `give_up_after`: failed connects in a row before the NodeError reaches the consumer
        (None: retry for ever, telling each wait as a `lost` state)."""
        self.client = client
        self.channels = channels if "blocks" in channels else ("blocks", *channels)
        self.height = -1 if after is None else after
        self.retry_delays = retry_delays
        self.give_up_after = give_up_after

    def __aiter__(self) -> AsyncIterator[StreamItem]:
        return self._follow()

    async def _follow(self) -> AsyncIterator[StreamItem]:
        failures = 0
        while True:
            yield StateChanged("connecting", self.client.url)
            try:
                async with contextlib.aclosing(self.client.subscribe(self.channels)) as feed:
                    async for message in feed:
                        kind = message.get("type")
                        if kind == "subscribed":
                            async for item in self._catch_up():
                                yield item
                            failures = 0
                            yield StateChanged("live", self.client.url)
                        elif kind == "new_block":
                            block = message["block"]
                            height = int(block["height"])
                            if height > self.height + 1 and self.height >= 0:
                                async for item in self._catch_up(upto=height - 1):
                                    yield item
                            if height > self.height:
                                self.height = height
                                yield Block(block)
                        elif kind == "network_status":
                            yield Status(message["status"])
                        elif kind == "lagged":
                            async for item in self._catch_up():
                                yield item
            except NodeError as exc:
                detail = exc.message
                error: NodeError = exc
            except (KeyError, TypeError, ValueError) as exc:
                detail = f"unexpected message from the node: {exc}"
                error = NodeError(detail)
            else:
                detail = "the node closed the live feed"
                error = NodeError(detail)
            failures += 1
            if self.give_up_after is not None and failures >= self.give_up_after:
                raise error
            delay = self.retry_delays[min(failures - 1, len(self.retry_delays) - 1)]
            delay *= 1 + random.uniform(-JITTER, JITTER)
            while delay > 0:
                yield StateChanged("lost", f"{detail}; retrying in {max(1, round(delay))} s")
                step = min(1.0, delay)
                await asyncio.sleep(step)
                delay -= step

    async def _catch_up(self, upto: int | None = None) -> AsyncIterator[StreamItem]:
        """Every block after the last one given, up to the node's head, oldest first."""
        if upto is None:
            status = await self.client.status()
            yield Status(status)
            upto = int(status["blockHeight"])
        if self.height < 0 or upto - self.height > BACKFILL_MAX:
            self.height = upto  # first sight of this node (or too far behind): start at its head
        else:
            first = self.height + 1
            while first <= upto:
                last = min(upto, first + RANGE_LIMIT - 1)
                for block in await self.client.block_range(first, last):
                    if int(block["height"]) > self.height:
                        txs = block.pop("transactions", None)  # summaries, as from the socket
                        if txs is not None:
                            block.setdefault("txCount", len(txs))
                        self.height = int(block["height"])
                        yield Block(block)
                first = last + 1
        yield CaughtUp(self.height)

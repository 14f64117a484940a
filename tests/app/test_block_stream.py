"""The one gap-free block follower, against a real node behind a loopback relay that we cut
mid-stream: every block arrives exactly once, oldest first, and the stream says it was lost."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from app.clients.block_stream import Block, BlockStream, CaughtUp, StateChanged
from app.clients.errors import NodeError
from app.clients.native import NativeClient
from tests.helpers.node_process import OPERATOR, NodeProcess

pytestmark = pytest.mark.timeout(120)


class CuttableRelay:
    """TCP on loopback to the node; `cut()` drops every connection and refuses new ones until
    `mend()`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.open = True
        self.links: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> CuttableRelay:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links -= {writer, up_writer}

    def cut(self) -> None:
        self.open = False
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()

    def mend(self) -> None:
        self.open = True

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_a_socket_dropped_mid_stream_loses_nothing_and_repeats_nothing() -> None:
    with NodeProcess() as node:
        port = int(node.url.rsplit(":", 1)[1])
        relay = await CuttableRelay(port).start()
        client = NativeClient(relay.url, *OPERATOR)
        heights: list[int] = []
        states: list[str] = []
        start = asyncio.Event()

        async def follow() -> None:
            async for item in BlockStream(client, retry_delays=(0.3,)):
                if isinstance(item, Block):
                    heights.append(item.height)
                elif isinstance(item, StateChanged):
                    states.append(item.state)
                elif isinstance(item, CaughtUp):
                    start.set()

        token = await asyncio.to_thread(node.token)
        miner = httpx.AsyncClient(
            base_url=node.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        task = asyncio.create_task(follow())
        try:
            await asyncio.wait_for(start.wait(), 20)
            base = (await miner.get("/api/v1/network/status")).json()["blockHeight"]

            async def mine(count: int) -> None:
                for _ in range(count):  # one block at a time: the feed is busy when we cut
                    answer = await miner.post("/api/v1/mine", json={"blocks": 1})
                    answer.raise_for_status()

            mining = asyncio.create_task(mine(120))
            async with asyncio.timeout(30):
                while len(heights) < 40:
                    await asyncio.sleep(0.01)
            relay.cut()  # mid-stream: blocks keep coming while the stream is away
            at_cut = len(heights)
            await asyncio.sleep(0.8)
            missed = (await miner.get("/api/v1/network/status")).json()["blockHeight"]
            relay.mend()
            await mining
            head = (await miner.get("/api/v1/network/status")).json()["blockHeight"]
            async with asyncio.timeout(30):
                while not heights or heights[-1] < head:
                    await asyncio.sleep(0.02)
            assert heights == list(range(base + 1, head + 1))  # nothing missing, nothing twice
            assert head - base == 120
            assert missed - base > at_cut + 5  # blocks were sealed while the stream was away
            lost = states.index("lost")
            assert "live" in states[lost:]  # it said so, and came back
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await miner.aclose()
            await client.close()
            await relay.close()


async def test_give_up_after_hands_the_error_to_the_consumer() -> None:
    relay = await CuttableRelay(1).start()  # nothing listens behind it
    relay.cut()
    client = NativeClient(relay.url)
    try:
        with pytest.raises(NodeError):
            async for _item in BlockStream(client, retry_delays=(0.05,), give_up_after=2):
                pass
    finally:
        await client.close()
        await relay.close()

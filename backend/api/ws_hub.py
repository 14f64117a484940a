"""The WebSocket hub: every client gets a bounded queue, so a slow one never slows the node."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger("chaindeck.ws")

CHANNELS = frozenset({"blocks", "transactions", "status"})
SEND_TIMEOUT = 30.0


class WsClient:
    """One client's queue. An entry is a list of messages published together (a batch's
    transactions are one entry), so publishing costs each client one append, not one per
    message: with a fixed cost per message, 2,000 clients that never read made batches 100x
    slower."""

    __slots__ = ("channels", "dropped", "limit", "queue", "size", "wake")

    def __init__(self, limit: int) -> None:
        self.channels: set[str] = set(CHANNELS)
        # [channel, messages, index of the next to send]; channel None for answers to the
        # client (subscribed, error)
        self.queue: deque[list[Any]] = deque()
        self.size = 0  # messages queued and not yet taken
        self.dropped: dict[str | None, int] = {}  # per channel, since the last `lagged`
        self.wake = asyncio.Event()
        self.limit = limit

    def push(self, text: str, channel: str | None = None) -> None:
        self.push_many([text], channel)

    def push_many(self, texts: list[str], channel: str | None = None) -> None:
        """Queue `texts` (not copied: the caller does not change them); past the limit the
        oldest messages go and are counted for the next `lagged`."""
        if not texts:
            return
        if len(texts) > self.limit:
            self._drop(channel, len(texts) - self.limit)
            texts = texts[len(texts) - self.limit :]
        self.queue.append([channel, texts, 0])
        self.size += len(texts)
        while self.size > self.limit:
            entry = self.queue[0]
            left = len(entry[1]) - entry[2]
            over = self.size - self.limit
            gone = min(left, over)
            if left <= over:
                self.queue.popleft()
            else:
                entry[2] += over
            self.size -= gone
            self._drop(entry[0], gone)
        self.wake.set()

    def _drop(self, channel: str | None, count: int) -> None:
        self.dropped[channel] = self.dropped.get(channel, 0) + count

    def subscribe(self, channels: set[str]) -> None:
        """From now on only `channels`: what is still queued from the others, and the count of
        what was dropped from them, goes too. A client that narrows its channels under load would
        otherwise first read up to a full queue of messages it has just said it does not want."""
        self.channels = channels
        self.queue = deque(item for item in self.queue if item[0] is None or item[0] in channels)
        self.size = sum(len(item[1]) - item[2] for item in self.queue)
        self.dropped = {c: n for c, n in self.dropped.items() if c is None or c in channels}

    @property
    def pending(self) -> bool:
        return bool(self.size or self.dropped)

    def take(self) -> str:
        """The next message to send: `lagged` first when some were dropped."""
        if self.dropped:
            dropped = sum(self.dropped.values())
            self.dropped = {}
            return orjson.dumps({"type": "lagged", "dropped": dropped}).decode()
        entry = self.queue[0]
        text: str = entry[1][entry[2]]
        entry[2] += 1
        self.size -= 1
        if entry[2] == len(entry[1]):
            self.queue.popleft()
        return text


class Hub:
    def __init__(self, status: Callable[[], dict[str, Any]], *, queue_limit: int = 1024) -> None:
        self._status = status
        self.queue_limit = queue_limit
        self.clients: set[WsClient] = set()
        self._ticker: asyncio.Task[None] | None = None

    def wants(self, channel: str) -> bool:
        return any(channel in c.channels for c in self.clients)

    def publish(self, channel: str, text: str) -> None:
        self.publish_many(channel, [text])

    def publish_many(self, channel: str, texts: list[str]) -> None:
        for client in self.clients:
            if channel in client.channels:
                client.push_many(texts, channel)

    def publish_block(self, summary: dict[str, Any]) -> None:
        if self.clients:
            self.publish("blocks", orjson.dumps({"type": "new_block", "block": summary}).decode())

    def publish_transactions(self, txs: list[dict[str, Any]]) -> None:
        if not self.wants("transactions"):
            return
        self.publish_many(
            "transactions",
            [orjson.dumps({"type": "new_transaction", "transaction": tx}).decode() for tx in txs],
        )

    def start(self) -> None:
        self._ticker = asyncio.create_task(self._tick(), name="ws-status")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self.wants("status"):
                message = {"type": "network_status", "status": self._status()}
                self.publish("status", orjson.dumps(message).decode())

    async def serve(self, websocket: WebSocket) -> None:
        await websocket.accept()
        client = WsClient(self.queue_limit)
        self.clients.add(client)
        sender = asyncio.create_task(self._send(websocket, client), name="ws-send")
        try:
            while True:
                frame = await websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                # Text or binary frame alike: many clients send JSON as bytes.
                text = frame.get("text")
                self._handle(client, text if text is not None else frame.get("bytes") or b"")
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client went away: the normal end of a subscription
        finally:
            self.clients.discard(client)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    def _handle(self, client: WsClient, data: str | bytes) -> None:
        try:
            message = orjson.loads(data)
        except orjson.JSONDecodeError:
            client.push(_error("malformed JSON"))
            return
        if not isinstance(message, dict) or message.get("type") != "subscribe":
            client.push(_error('expected {"type": "subscribe", "channels": [...]}'))
            return
        channels = message.get("channels")
        if (
            not isinstance(channels, list)
            or not all(isinstance(c, str) for c in channels)
            or not set(channels) <= CHANNELS
        ):
            client.push(_error(f"channels must be a list drawn from {sorted(CHANNELS)}"))
            return
        client.subscribe(set(channels))
        client.push(orjson.dumps({"type": "subscribed", "channels": sorted(channels)}).decode())

    async def _send(self, websocket: WebSocket, client: WsClient) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
            while True:
                await client.wake.wait()
                client.wake.clear()
                while client.pending:
                    # A client that reads nothing for this long is gone; close it.
                    await asyncio.wait_for(websocket.send_text(client.take()), SEND_TIMEOUT)
        with contextlib.suppress(Exception):
            await websocket.close()


def _error(message: str) -> str:
    return orjson.dumps({"type": "error", "error": "bad_request", "message": message}).decode()

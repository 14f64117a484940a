"""The event loop's side of a helper process's socket (backend/child_link.py).

The loop reads and writes the socket itself: a ProcessPoolExecutor would add two helper
threads, each taking the node's GIL for every request.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import pickle
import socket
from collections.abc import Callable
from typing import Any

from backend.child_link import HEADER, encode

log = logging.getLogger("chaindeck.node")


class AsyncLink:
    """The event loop's side of one helper's socket. Requests may overlap; replies come back in
    order. A caller that gives up does not lose its neighbours' replies."""

    def __init__(
        self,
        sock: socket.socket,
        gone: Callable[[str], Exception],
        describe_gone: Callable[[], str] = lambda: "the helper process stopped",
        on_gone: Callable[[str], None] | None = None,
    ) -> None:
        """`gone` makes the error a caller gets once the helper has stopped; `describe_gone`
        (run on a thread: it may wait for the exit code) says how it stopped; `on_gone` hears
        it, once, after the waiting callers have their errors."""
        self._sock = sock
        self._gone_error = gone
        self._describe_gone = describe_gone
        self._on_gone = on_gone
        self._stream: asyncio.StreamWriter | None = None
        self._replies: asyncio.Task[None] | None = None
        self._waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.gone: str | None = None
        self.busy = 0  # requests sent and not yet answered

    async def start(self) -> None:
        self._sock.setblocking(False)
        reader, self._stream = await asyncio.open_connection(sock=self._sock)
        self._replies = asyncio.create_task(self._read_replies(reader), name="helper-replies")

    async def request(self, frame: bytes) -> Any:
        """Send a frame from `encode()`; returns the result once the helper has done it."""
        if self.gone is not None:
            raise self._gone_error(self.gone)
        assert self._stream is not None, "start() first"
        reply = asyncio.get_running_loop().create_future()
        self._waiting.append(reply)
        self.busy += 1
        try:
            self._stream.write(frame)
            await self._stream.drain()
        except BaseException as exc:
            reply.cancel()  # its reply, if one comes, is read and dropped
            if isinstance(exc, (ConnectionError, OSError)):
                raise self._gone_error(f"the helper process is gone ({exc})") from None
            raise
        return await reply

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                size = HEADER.unpack(await reader.readexactly(HEADER.size))[0]
                status, value = pickle.loads(await reader.readexactly(size))
                waiter = self._waiting.popleft()
                self.busy -= 1
                if waiter.done():  # its caller gave up; the work was still done
                    continue
                if status == "error":
                    waiter.set_exception(value)
                else:
                    waiter.set_result(value)
        except (asyncio.IncompleteReadError, OSError):
            self.gone = "the helper process stopped"  # at once: no new request may queue up
            self.gone = await asyncio.to_thread(self._describe_gone)
            log.error("%s", self.gone)
            while self._waiting:
                waiter = self._waiting.popleft()
                if not waiter.done():
                    waiter.set_exception(self._gone_error(self.gone))
            if self._on_gone is not None:
                self._on_gone(self.gone)

    async def close(self) -> None:
        """Ask the helper to close (it answers once done), then stop reading."""
        if self.gone is None and self._stream is not None:
            try:
                await self.request(encode("close"))
            except Exception as exc:  # the process is stopped by the owner either way
                log.warning("closing a helper process: %s", exc)
        if self._replies is not None:
            self._replies.cancel()
            await asyncio.gather(self._replies, return_exceptions=True)
        if self._stream is not None:
            self._stream.close()
        else:
            self._sock.close()

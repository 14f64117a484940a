"""The database writer's process, and the node's handle on it.

A reply means the write is committed (or failed and rolled back). Until `attach()`, the node
calls it blocking (start-up runs on the database thread); after, the event loop speaks to the
socket itself (backend/child_link.py). Handing each write to a thread that blocked on a pipe cost
two GIL hand-offs and two thread wake-ups a write; against that, the loop on the socket gave one
by one +40% and 32 in flight +14% (tests/bench/ab_node_throughput.py, medians of 3).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backend.async_link import AsyncLink
from backend.child_link import (
    encode,
    how_it_stopped,
    recv_message,
    spawn,
    stop_process,
    unwrap,
)
from backend.storage.chain_writer import StoreError, writer_main

log = logging.getLogger("chaindeck.node")
START_LIMIT_S = 30.0


class WriterProcess:
    """Starts the writer, which opens (or creates and checks) the database; StoreError if it
    must not be used."""

    def __init__(self, path: Path, chain_id: str | None, default_chain_id: str) -> None:
        self._process, self._sock = spawn(
            writer_main, "chaindeck-writer", str(path), chain_id, default_chain_id
        )
        self._lock = threading.Lock()
        self._link: AsyncLink | None = None
        try:
            self._sock.settimeout(START_LIMIT_S)
            self.chain_id: str = self._reply()
            self._sock.settimeout(None)
        except BaseException:
            stop_process(self._process)
            self._sock.close()
            raise

    # --- before attach: blocking, from one thread ----------------------------------------------

    def call(self, method: str, *args: Any) -> Any:
        if self._link is not None:
            raise RuntimeError("the writer is attached to the event loop; use send()")
        with self._lock:
            try:
                self._sock.sendall(encode(method, *args))
            except OSError as exc:
                raise StoreError(f"the database writer is gone ({exc})") from None
            return self._reply()

    def _reply(self) -> Any:
        try:
            reply = recv_message(self._sock)
        except TimeoutError:
            raise StoreError("the database writer did not answer") from None
        except (EOFError, OSError):
            raise StoreError(self._gone_message()) from None
        return unwrap(reply)

    def _gone_message(self) -> str:
        return how_it_stopped(self._process, "the database writer")

    # --- after attach: the event loop ----------------------------------------------------------

    async def attach(self, on_gone: Callable[[str], None] | None = None) -> None:
        """`on_gone` hears if the writer process dies (see AsyncLink)."""
        link = AsyncLink(self._sock, StoreError, self._gone_message, on_gone)
        await link.start()
        self._link = link

    async def send(self, frame: bytes) -> Any:
        """Send a frame from `encode()`; returns the result once the writer has done it."""
        assert self._link is not None, "attach() first"
        return await self._link.request(frame)

    # --- stopping ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        if self._link is None:
            await asyncio.to_thread(self.close)
            return
        await self._link.close()
        await asyncio.to_thread(stop_process, self._process)

    def close(self) -> None:
        """Blocking close, before attach."""
        if self._process.is_alive():
            try:
                self.call("close")
            except StoreError as exc:  # the process is stopped below either way
                log.warning("closing the database writer: %s", exc)
        stop_process(self._process)
        self._sock.close()

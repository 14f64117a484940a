"""The database writer's process, and the node's handle on it.

Requests go over a socket pair as length-prefixed pickles: (method, args) in, ("ok", result)
or ("error", exception) out, one reply per request, in order. A reply means the write is
committed (or failed and rolled back).

Until `attach()`, the node calls it blocking (start-up runs on the database thread); after, the
event loop speaks to the socket itself. Handing each write to a thread that blocked on a pipe
cost two GIL hand-offs and two thread wake-ups a write; against that, the loop on the socket
gave one by one +40% and 32 in flight +14% (tests/bench/ab_node_throughput.py, medians of 3).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import threading
from pathlib import Path
from typing import Any

from backend.lifeline import die_with_parent
from backend.storage.chain_writer import ChainWriter, StoreError

log = logging.getLogger("chaindeck.node")
START_LIMIT_S = 30.0
STOP_LIMIT_S = 10.0
HEADER = struct.Struct("!I")


def encode(method: str, *args: Any) -> bytes:
    """A request frame."""
    data = pickle.dumps((method, args), pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def _send(sock: socket.socket, message: object) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    sock.sendall(HEADER.pack(len(data)) + data)


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            return None
        got += n
    return bytes(buffer)


def _recv(sock: socket.socket) -> Any:
    """The next message, or EOFError when the other end is gone."""
    header = _recv_exactly(sock, HEADER.size)
    data = _recv_exactly(sock, HEADER.unpack(header)[0]) if header is not None else None
    if data is None:
        raise EOFError
    return pickle.loads(data)


def serve(sock: socket.socket, path: str, chain_id: str | None, default: str, parent: int) -> None:
    """The writer process's main function."""
    die_with_parent(parent)
    # Ctrl-C in a terminal reaches the whole process group; the node, not the signal, decides
    # when the last writes are done and tells us to close.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        writer = ChainWriter(Path(path), chain_id, default)
    except Exception as exc:
        _send(sock, ("error", exc))
        return
    _send(sock, ("ok", writer.chain_id))
    while True:
        try:
            method, args = _recv(sock)
        except (EOFError, OSError):  # the node is gone; SQLite's journal keeps the file whole
            return
        try:
            result = getattr(writer, method)(*args)
        except Exception as exc:
            _send(sock, ("error", exc))
        else:
            _send(sock, ("ok", result))
        if method == "close":
            return


def _unwrap(reply: tuple[str, Any]) -> Any:
    status, value = reply
    if status == "error":
        raise value
    return value


class WriterProcess:
    """Starts the writer, which opens (or creates and checks) the database; StoreError if it
    must not be used."""

    def __init__(self, path: Path, chain_id: str | None, default_chain_id: str) -> None:
        # spawn: the node has threads and an event loop running, which fork does not copy safely
        context = multiprocessing.get_context("spawn")
        self._sock, child = socket.socketpair()
        self._process = context.Process(
            target=serve,
            args=(child, str(path), chain_id, default_chain_id, os.getpid()),
            name="chaindeck-writer",
            daemon=True,
        )
        self._lock = threading.Lock()
        self._stream: asyncio.StreamWriter | None = None
        self._replies: asyncio.Task[None] | None = None
        self._waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._gone: str | None = None
        self._process.start()
        child.close()
        try:
            self._sock.settimeout(START_LIMIT_S)
            self.chain_id: str = self._reply()
            self._sock.settimeout(None)
        except BaseException:
            self._stop_process()
            raise

    # --- before attach: blocking, from one thread ----------------------------------------------

    def call(self, method: str, *args: Any) -> Any:
        if self._stream is not None:
            raise RuntimeError("the writer is attached to the event loop; use send()")
        with self._lock:
            try:
                self._sock.sendall(encode(method, *args))
            except OSError as exc:
                raise StoreError(f"the database writer is gone ({exc})") from None
            return self._reply()

    def _reply(self) -> Any:
        try:
            reply = _recv(self._sock)
        except TimeoutError:
            raise StoreError("the database writer did not answer") from None
        except (EOFError, OSError):
            raise StoreError(self._gone_message()) from None
        return _unwrap(reply)

    def _gone_message(self) -> str:
        self._process.join(0.5)
        return f"the database writer stopped (exit code {self._process.exitcode})"

    # --- after attach: the event loop ----------------------------------------------------------

    async def attach(self) -> None:
        self._sock.setblocking(False)
        reader, self._stream = await asyncio.open_connection(sock=self._sock)
        self._replies = asyncio.create_task(self._read_replies(reader), name="writer-replies")

    async def send(self, frame: bytes) -> Any:
        """Send a frame from `encode()`; returns the result once the writer has done it."""
        if self._gone is not None:
            raise StoreError(self._gone)
        assert self._stream is not None, "attach() first"
        reply = asyncio.get_running_loop().create_future()
        self._waiting.append(reply)
        self._stream.write(frame)
        await self._stream.drain()
        return await reply

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                size = HEADER.unpack(await reader.readexactly(HEADER.size))[0]
                status, value = pickle.loads(await reader.readexactly(size))
                waiter = self._waiting.popleft()
                if waiter.done():  # its caller was cancelled; the write still happened
                    continue
                if status == "error":
                    waiter.set_exception(value)
                else:
                    waiter.set_result(value)
        except (asyncio.IncompleteReadError, OSError):
            self._gone = await asyncio.to_thread(self._gone_message)
            log.error("%s", self._gone)
            while self._waiting:
                waiter = self._waiting.popleft()
                if not waiter.done():
                    waiter.set_exception(StoreError(self._gone))

    # --- stopping ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        if self._stream is None:
            await asyncio.to_thread(self.close)
            return
        if self._gone is None:
            try:
                await self.send(encode("close"))
            except StoreError as exc:  # the process is stopped below either way
                log.warning("closing the database writer: %s", exc)
        if self._replies is not None:
            self._replies.cancel()
            await asyncio.gather(self._replies, return_exceptions=True)
        self._stream.close()
        await asyncio.to_thread(self._stop_process)

    def close(self) -> None:
        """Blocking close, before attach."""
        if self._process.is_alive() and self._gone is None:
            try:
                self.call("close")
            except StoreError as exc:
                log.warning("closing the database writer: %s", exc)
        self._stop_process()

    def _stop_process(self) -> None:
        self._process.join(STOP_LIMIT_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._sock.close()

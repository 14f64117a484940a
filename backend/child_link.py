"""The node's helper processes (database writer, signature verifiers) and how it talks to them.

Requests go over a socket pair as length-prefixed pickles: (method, args) in, ("ok", result)
or ("error", exception) out, one reply per request, in order. The event loop reads and writes
the socket itself: a ProcessPoolExecutor would add two helper threads, each taking the node's
GIL for every request.
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
from collections.abc import Callable
from typing import Any

from backend.lifeline import die_with_parent

log = logging.getLogger("chaindeck.node")
HEADER = struct.Struct("!I")
STOP_LIMIT_S = 10.0


def encode(method: str, *args: Any) -> bytes:
    """A request frame."""
    data = pickle.dumps((method, args), pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def send_message(sock: socket.socket, message: object) -> None:
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


def recv_message(sock: socket.socket) -> Any:
    """The next message, or EOFError when the other end is gone."""
    header = _recv_exactly(sock, HEADER.size)
    data = _recv_exactly(sock, HEADER.unpack(header)[0]) if header is not None else None
    if data is None:
        raise EOFError
    return pickle.loads(data)


def unwrap(reply: tuple[str, Any]) -> Any:
    status, value = reply
    if status == "error":
        raise value
    return value


def child_setup(parent: int) -> None:
    """First thing in a helper process."""
    die_with_parent(parent)
    # Ctrl-C in a terminal reaches the whole process group; the node, not the signal, decides
    # when its helpers are done and tells them to close.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def serve(sock: socket.socket, target: object) -> None:
    """A helper's request loop: calls `target`'s methods until "close" or the node is gone."""
    while True:
        try:
            method, args = recv_message(sock)
        except (EOFError, OSError):
            return
        if method == "close":
            close = getattr(target, "close", None)
            try:
                if close is not None:
                    close()
            except Exception as exc:
                send_message(sock, ("error", exc))
            else:
                send_message(sock, ("ok", None))
            return
        try:
            result = getattr(target, method)(*args)
        except Exception as exc:
            send_message(sock, ("error", exc))
        else:
            send_message(sock, ("ok", result))


def spawn(main: Callable[..., None], name: str, *args: Any) -> tuple[Any, socket.socket]:
    """Start `main(child_socket, *args, parent_pid)` in a new process; returns (process, socket).

    spawn, not fork: the node has threads and an event loop running, which fork does not copy
    safely."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = socket.socketpair()
    process = context.Process(
        target=main, args=(theirs, *args, os.getpid()), name=name, daemon=True
    )
    process.start()
    theirs.close()
    return process, mine


def stop_process(process: Any) -> None:
    process.join(STOP_LIMIT_S)
    if process.is_alive():
        process.kill()
        process.join()


class AsyncLink:
    """The event loop's side of one helper's socket. Requests may overlap; replies come back in
    order. A caller that gives up does not lose its neighbours' replies."""

    def __init__(self, sock: socket.socket, gone: Callable[[str], Exception]) -> None:
        self._sock = sock
        self._gone_error = gone
        self._stream: asyncio.StreamWriter | None = None
        self._replies: asyncio.Task[None] | None = None
        self._waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.gone: str | None = None
        self.busy = 0  # requests sent and not yet answered
        self.on_gone: Callable[[], str] = lambda: "the helper process stopped"

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
        self._stream.write(frame)
        await self._stream.drain()
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
            self.gone = await asyncio.to_thread(self.on_gone)
            log.error("%s", self.gone)
            while self._waiting:
                waiter = self._waiting.popleft()
                if not waiter.done():
                    waiter.set_exception(self._gone_error(self.gone))

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

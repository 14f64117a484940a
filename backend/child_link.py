"""The node's helper processes (database writer, signature verifiers): starting them, and the
wire between them and the node.

Requests go over a socket pair as length-prefixed pickles: (method, args) in, ("ok", result)
or ("error", exception) out, one reply per request, in order. The node's side is
backend/async_link.py. This module is all a helper imports of it: no asyncio, whose import
alone took 70 ms of a helper's start.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import socket
import struct
from collections.abc import Callable
from typing import Any

from backend.lifeline import die_with_parent

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
    # Ctrl-C in a terminal, `kill -- -PGID`, `timeout` and `systemctl stop` signal the whole
    # process group; the node, not the signal, decides when its helpers are done and tells them
    # to close (a helper that died first made the node's clean stop look like a crash). They
    # still die with the node (die_with_parent) and a SIGKILL ends them as before.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


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


def how_it_stopped(process: Any, what: str) -> str:
    """`what` stopped, with its exit code (waiting a moment for it: the process may be exiting)."""
    process.join(0.5)
    return f"{what} stopped (exit code {process.exitcode})"


def stopped_by_a_stop_signal(how: str) -> bool:
    """Whether `how_it_stopped` says SIGTERM, SIGINT or SIGHUP ended it: what a stop of the
    whole process group sends, rather than a crash."""
    return any(
        f"(exit code {-int(s)})" in how for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    )


def stop_process(process: Any) -> None:
    process.join(STOP_LIMIT_S)
    if process.is_alive():
        process.kill()
        process.join()

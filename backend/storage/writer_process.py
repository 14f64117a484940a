"""The database writer's process, and the node's handle on it.

One request at a time over a pipe: (method, args) in, ("ok", result) or ("error", exception)
out. The node calls it from its single database thread, so writes keep their order, and a reply
means the write is committed (or failed and rolled back).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from backend.lifeline import die_with_parent
from backend.storage.chain_writer import ChainWriter, StoreError

log = logging.getLogger("chaindeck.node")
START_LIMIT_S = 30.0
STOP_LIMIT_S = 10.0


def serve(conn: Connection, path: str, chain_id: str | None, default: str, parent: int) -> None:
    """The writer process's main function."""
    die_with_parent(parent)
    # Ctrl-C in a terminal reaches the whole process group; the node, not the signal, decides
    # when the last writes are done and tells us to close.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        writer = ChainWriter(Path(path), chain_id, default)
    except Exception as exc:
        conn.send(("error", exc))
        return
    conn.send(("ok", writer.chain_id))
    while True:
        try:
            method, args = conn.recv()
        except EOFError:  # the node is gone; SQLite's journal keeps the file whole
            return
        try:
            result = getattr(writer, method)(*args)
        except Exception as exc:
            conn.send(("error", exc))
        else:
            conn.send(("ok", result))
        if method == "close":
            return


class WriterProcess:
    """Starts the writer, which opens (or creates and checks) the database; StoreError if it
    must not be used."""

    def __init__(self, path: Path, chain_id: str | None, default_chain_id: str) -> None:
        # spawn: the node has threads and an event loop running, which fork does not copy safely
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=serve,
            args=(child, str(path), chain_id, default_chain_id, os.getpid()),
            name="chaindeck-writer",
            daemon=True,
        )
        self._lock = threading.Lock()
        self._process.start()
        child.close()
        if not self._conn.poll(START_LIMIT_S):
            self._process.kill()
            raise StoreError(f"the database writer for {path} did not start")
        try:
            self.chain_id: str = self._reply()
        except BaseException:
            self._process.join(STOP_LIMIT_S)
            self._conn.close()
            raise

    def call(self, method: str, *args: Any) -> Any:
        with self._lock:
            try:
                self._conn.send((method, args))
            except OSError as exc:
                raise StoreError(f"the database writer is gone ({exc})") from None
            return self._reply()

    def _reply(self) -> Any:
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError):
            code = self._process.exitcode
            raise StoreError(f"the database writer stopped (exit code {code})") from None
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        if self._process.is_alive():
            try:
                self.call("close")
            except StoreError as exc:  # the process is stopped below either way
                log.warning("closing the database writer: %s", exc)
        self._process.join(STOP_LIMIT_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()

"""The chain database's one writer connection: schema, opening checks and every write.

It runs in a process of its own (backend/storage/writer_process.py) and takes plain rows, so it
imports little more than sqlite3; `writer_main` below is that process's main function. On a
thread of the node's process, each SQLite statement released the GIL and then waited to win it
back from the busy event loop.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backend.child_link import child_setup, send_message, serve
from backend.node.data_dir import describe_os_error

APPLICATION_ID = 0x43444B4E  # "CDKN": marks the file as a ChainDeck node database
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE blocks (
    height INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    previous_hash TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    producer TEXT NOT NULL,
    merkle_root TEXT NOT NULL,
    difficulty INTEGER NOT NULL,
    nonce INTEGER NOT NULL,
    tx_count INTEGER NOT NULL,
    size INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE transactions (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    amount INTEGER NOT NULL,
    fee INTEGER NOT NULL,
    nonce INTEGER NOT NULL,
    memo TEXT NOT NULL,
    public_key BLOB NOT NULL,
    signature BLOB NOT NULL,
    received INTEGER NOT NULL,
    block_height INTEGER,
    block_index INTEGER
);
CREATE INDEX tx_sender ON transactions (sender, id);
CREATE INDEX tx_recipient ON transactions (recipient, id);
CREATE INDEX tx_block ON transactions (block_height, block_index);
CREATE TABLE accounts (
    address TEXT PRIMARY KEY, balance INTEGER NOT NULL, nonce INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE wallets (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL UNIQUE,
    seed BLOB NOT NULL,
    created INTEGER NOT NULL
);
"""

BLOCK_COLUMNS = (
    "height, hash, previous_hash, timestamp, producer, merkle_root, difficulty, nonce, tx_count, "
    "size, signature"
)
TX_INSERT = (
    "INSERT INTO transactions (id, hash, sender, recipient, amount, fee, nonce, memo, "
    "public_key, signature, received, block_height, block_index)"
)

# Rows as the writer takes them: a transaction row has the 13 columns of TX_INSERT, a block row
# the 11 of BLOCK_COLUMNS, an account row (address, balance, nonce), a wallet row
# (address, label, seed, created), and a confirmation (transaction id, index in its block).
Row = tuple[Any, ...]

# 16 MB of WAL. Larger measured better per block in steady state, but a WAL still growing costs
# every commit a metadata flush, and a node's WAL starts empty on each start.
CHECKPOINT_PAGES = 4_000

# Python's sqlite3 steps executemany once per row; one multi-row statement steps once.
ROWS_PER_STATEMENT = 2_000


class StoreError(Exception):
    """The data dir holds something the node must not use; the message says what, for a person."""


NEARLY_FULL_BYTES = 1024 * 1024
# SQLite's primary result codes for "cannot write here", as opposed to a damaged file.
_CANNOT_WRITE = {
    13: "the disk is full",  # SQLITE_FULL
    10: "an I/O error",  # SQLITE_IOERR
    14: "it cannot be opened",  # SQLITE_CANTOPEN
    8: "it is read-only",  # SQLITE_READONLY
}


def _nearly_full(folder: Path) -> bool:
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < NEARLY_FULL_BYTES


def describe_sqlite_error(path: Path, exc: sqlite3.Error) -> str:
    """One line for a person: a full disk is named as such, only real damage as damage."""
    code = getattr(exc, "sqlite_errorcode", None)
    why = _CANNOT_WRITE.get(code & 0xFF) if isinstance(code, int) else None
    if why is None and "disk is full" in str(exc):
        why = "the disk is full"
    if why in ("the disk is full", "an I/O error") and _nearly_full(path.parent):
        # A full tmpfs fails SQLite's shared-memory map, which it reports as an I/O error.
        why = "the disk is full"
    if why is not None:
        return f"cannot write {path}: {why} ({exc})"
    return f"{path} is damaged or not a database ({exc})"


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    # Multi-row statements in a transaction get a statement journal; on disk (the default)
    # that is a temp file opened, written and unlinked per commit: a third of the write
    # path's time in a native profile. In memory: ~28% less per block commit.
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def _multi_row(conn: sqlite3.Connection, head: str, rows: list[Row], tail: str = "") -> None:
    if not rows:
        return
    width = len(rows[0])
    group = "(" + ",".join("?" * width) + ")"
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        values = ",".join([group] * len(chunk))
        conn.execute(f"{head} VALUES {values} {tail}", [v for row in chunk for v in row])


class ChainWriter:
    def __init__(self, path: Path, chain_id: str | None, default_chain_id: str) -> None:
        """Open or create the database. `chain_id` None resumes whatever chain the file holds."""
        self.path = path
        self.chain_id = chain_id or default_chain_id
        self._requested_chain_id = chain_id
        self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            conn = connect(self.path)
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            # A file with no tables is what a first start that failed (a full disk, a kill)
            # leaves behind: it is still a new database, not a foreign one.
            fresh = app_id == 0 and not conn.execute("SELECT 1 FROM sqlite_master").fetchone()
            if not fresh and app_id != APPLICATION_ID:
                conn.close()
                raise StoreError(
                    f"{self.path} is not a ChainDeck node database; "
                    "use another --data-dir or --ephemeral"
                )
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a committed transaction survives power loss, which is what a 201 promises.
            conn.execute("PRAGMA synchronous = FULL")
            # The default 2 MB cache evicts index pages once the chain grows; 32 MB: ~9% more
            # batch throughput at 100,000 transactions (medians of 4 alternating runs).
            conn.execute("PRAGMA cache_size = -32000")
            # A checkpoint copies the WAL's pages back into the database file and fsyncs it.
            # A block of 300 transactions dirties ~350 pages (its hashes land all over the hash
            # index), so at SQLite's default of 1,000 pages every third block paid for one.
            conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
            if fresh:
                # Schema, application id and meta in one transaction: a failed first start
                # leaves none of them, so the next start is a first start again.
                conn.executescript("BEGIN;" + SCHEMA + f"PRAGMA application_id = {APPLICATION_ID};")
                try:
                    conn.execute(
                        "INSERT INTO meta VALUES ('schema', ?), ('chain_id', ?)",
                        (str(SCHEMA_VERSION), self.chain_id),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise
            else:
                self._check_existing(conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(describe_sqlite_error(self.path, exc)) from exc
        except OSError as exc:
            raise StoreError(describe_os_error(exc, str(self.path))) from exc
        return conn

    def _check_existing(self, conn: sqlite3.Connection) -> None:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        if meta.get("schema") != str(SCHEMA_VERSION):
            raise StoreError(
                f"{self.path} has schema {meta.get('schema')!r}; this node reads {SCHEMA_VERSION}"
            )
        stored = meta.get("chain_id")
        if stored and self._requested_chain_id is None:
            self.chain_id = stored
        elif stored != self.chain_id:
            raise StoreError(
                f"{self.path} holds chain {stored!r}, not {self.chain_id!r}; pass --chain-id "
                f"{stored} to resume it, or use another --data-dir"
            )

    def close(self) -> None:
        self._conn.close()

    # --- writes --------------------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def add_wallet(self, row: Row) -> None:
        self._conn.execute(
            "INSERT INTO wallets (address, label, seed, created) VALUES (?, ?, ?, ?)", row
        )

    def insert_pending(self, rows: list[Row]) -> None:
        """Group commit: every transaction of the batch becomes durable in one fsync."""
        self._in_transaction(lambda: _multi_row(self._conn, TX_INSERT, rows))

    def commit_block(
        self,
        block: Row,
        pending: list[Row],
        confirmed: list[Row],
        confirmations: list[tuple[int, int]],
        accounts: list[Row],
        wallets: list[Row],
    ) -> None:
        """A block, all or nothing: its row, its transactions new to disk (`confirmed`) or
        already stored (`confirmations`), transactions new to disk and still pending, account
        changes and new wallets."""
        conn = self._conn

        def write() -> None:
            if wallets:
                conn.executemany(
                    "INSERT INTO wallets (address, label, seed, created) VALUES (?, ?, ?, ?)",
                    wallets,
                )
            _multi_row(conn, TX_INSERT, pending)
            conn.execute(
                f"INSERT INTO blocks ({BLOCK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                block,
            )
            _multi_row(conn, TX_INSERT, confirmed)
            for start in range(0, len(confirmations), ROWS_PER_STATEMENT):
                chunk = confirmations[start : start + ROWS_PER_STATEMENT]
                params: list[int] = [block[0]]
                for pair in chunk:
                    params += pair
                conn.execute(
                    "UPDATE transactions SET block_height = ?, block_index = v.column2 "
                    f"FROM (VALUES {','.join(['(?,?)'] * len(chunk))}) AS v "
                    "WHERE transactions.id = v.column1",
                    params,
                )
            _multi_row(conn, "INSERT OR REPLACE INTO accounts (address, balance, nonce)", accounts)

        self._in_transaction(write)

    def delete_pending(self, ids: list[int]) -> None:
        """One commit for them all: outside a transaction, each row was a commit and an fsync."""
        self._in_transaction(
            lambda: self._conn.executemany(
                "DELETE FROM transactions WHERE id = ? AND block_height IS NULL",
                [(i,) for i in ids],
            )
        )

    def _in_transaction(self, write: Callable[[], object]) -> None:
        conn = self._conn
        conn.execute("BEGIN")
        try:
            write()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def writer_main(
    sock: socket.socket, path: str, chain_id: str | None, default: str, parent: int
) -> None:
    """The writer process's main function."""
    child_setup(parent)
    try:
        writer = ChainWriter(Path(path), chain_id, default)
    except Exception as exc:
        send_message(sock, ("error", exc))
        return
    send_message(sock, ("ok", writer.chain_id))
    serve(sock, writer)  # returning with the file whole: SQLite's journal sees to that

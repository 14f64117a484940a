"""SQLite storage of the chain: one database transaction per block, pending transactions durable.

Writes go to the writer process (backend/storage/writer_process.py) as plain rows, in order:
from the database thread at start-up, then from the event loop. Reads run here, on one read-only
connection per reader thread. WAL lets readers run while a block commits.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from backend.chain.block import Block
from backend.chain.transaction import Transaction
from backend.chain.units import units_to_coins
from backend.child_link import encode
from backend.storage.chain_writer import (
    BLOCK_COLUMNS,
    Row,
    StoreError,
    connect,
    describe_sqlite_error,
)
from backend.storage.writer_process import WriterProcess

__all__ = ["ChainStore", "StoreError"]

# Up to this many rows, a block's frame is built on the event loop (~3 us a row): cheaper than
# a thread hop. Past it, on a thread of its own.
ENCODE_INLINE = 256

TX_COLUMNS = (
    "t.id, t.hash, t.sender, t.recipient, t.amount, t.fee, t.nonce, t.memo, t.public_key, "
    "t.signature, t.received, t.block_height, b.hash"
)
TX_FROM = "transactions t LEFT JOIN blocks b ON b.height = t.block_height"


def _tx_row(tx: Transaction, height: int | None, index: int | None) -> Row:
    return (
        tx.seq,
        tx.hash,
        tx.sender,
        tx.recipient,
        tx.amount,
        tx.fee,
        tx.nonce,
        tx.memo,
        tx.public_key,
        tx.signature,
        tx.received,
        height,
        index,
    )


def block_rows(
    block: Block,
    accounts: dict[str, tuple[int, int]],
    fresh: list[Transaction] | None,
    wallets: list[tuple[str, str, bytes, int]] | None,
) -> tuple[Row, list[Row], list[Row], list[tuple[int, int]], list[Row], list[Row]]:
    """The arguments of ChainWriter.commit_block for ChainStore.commit_block's."""
    fresh_ids = {id(tx) for tx in fresh or ()}
    in_block = {id(tx) for tx in block.transactions}
    confirmed: list[Row] = []
    confirmations: list[tuple[int, int]] = []
    for index, tx in enumerate(block.transactions):
        if id(tx) in fresh_ids:
            confirmed.append(_tx_row(tx, block.height, index))
        else:
            confirmations.append((tx.seq, index))
    return (
        (
            block.height,
            block.hash,
            block.previous_hash,
            block.timestamp,
            block.producer,
            block.merkle_root,
            block.difficulty,
            block.nonce,
            block.tx_count,
            block.size,
            block.signature,
        ),
        [_tx_row(tx, None, None) for tx in fresh or () if id(tx) not in in_block],
        confirmed,
        confirmations,
        [(address, bal, nonce) for address, (bal, nonce) in accounts.items()],
        list(wallets or []),
    )


def _block_summary(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "height": row[0],
        "hash": row[1],
        "previousHash": row[2],
        "timestamp": row[3],
        "producer": row[4],
        "merkleRoot": row[5],
        "difficulty": row[6],
        "nonce": row[7],
        "txCount": row[8],
        "size": row[9],
        "signature": row[10].hex(),
    }


class ChainStore:
    def __init__(
        self, path: Path, chain_id: str | None, default_chain_id: str, encoder: Executor
    ) -> None:
        """Start the writer, which opens or creates the database (StoreError if it must not be
        used). `chain_id` None resumes whatever chain the file holds. `encoder` builds the
        frames of big blocks (rows and pickling take milliseconds: not on the event loop)."""
        self.path = path
        self._writer = WriterProcess(path, chain_id, default_chain_id)
        self.chain_id = self._writer.chain_id
        self._local = threading.local()
        self._encoder = encoder
        self.write_failure: str | None = None  # why the last write failed, until one succeeds

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            conn.execute("PRAGMA query_only = 1")
            conn.execute("PRAGMA cache_size = -8000")
            self._local.conn = conn
        return conn

    async def attach(self, on_gone: Callable[[str], None] | None = None) -> None:
        """From here on, writes are awaited on the event loop (the async methods below).
        `on_gone` hears if the writer process dies."""
        await self._writer.attach(on_gone)

    async def close(self) -> None:
        await self._writer.aclose()

    # --- loading at start-up -------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._reader().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def head(self) -> dict[str, Any] | None:
        row = (
            self._reader()
            .execute(f"SELECT {BLOCK_COLUMNS} FROM blocks ORDER BY height DESC LIMIT 1")
            .fetchone()
        )
        return _block_summary(row) if row else None

    def accounts(self) -> Iterable[tuple[str, int, int]]:
        return self._reader().execute("SELECT address, balance, nonce FROM accounts")

    def wallets(self) -> list[tuple[str, str, bytes]]:
        return list(self._reader().execute("SELECT address, label, seed FROM wallets ORDER BY id"))

    def pending_transactions(self) -> list[Transaction]:
        rows = self._reader().execute(
            "SELECT id, sender, recipient, amount, fee, nonce, memo, public_key, signature, "
            "received, hash FROM transactions WHERE block_height IS NULL ORDER BY id"
        )
        return [
            Transaction(
                chain_id=self.chain_id,
                sender=r[1],
                recipient=r[2],
                amount=r[3],
                fee=r[4],
                nonce=r[5],
                memo=r[6],
                public_key=r[7],
                signature=r[8],
                seq=r[0],
                received=r[9],
                hash=r[10],
            )
            for r in rows
        ]

    def confirmed_count(self) -> int:
        """Transactions in blocks after genesis."""
        row = self._reader().execute("SELECT count(*) FROM transactions WHERE block_height > 0")
        return row.fetchone()[0]

    def max_tx_id(self) -> int:
        return self._reader().execute("SELECT coalesce(max(id), 0) FROM transactions").fetchone()[0]

    # --- writes at start-up, before attach (the database thread) ------------------------------

    def set_meta(self, key: str, value: str) -> None:
        self._writer.call("set_meta", key, value)

    def commit_block_now(
        self,
        block: Block,
        accounts: dict[str, tuple[int, int]],
        *,
        fresh: list[Transaction] | None = None,
        wallets: list[tuple[str, str, bytes, int]] | None = None,
    ) -> None:
        """commit_block, blocking. Genesis passes its funding transactions as `fresh`, with the
        dev wallets, so a crash during genesis leaves an empty database, not half a chain."""
        self._writer.call("commit_block", *block_rows(block, accounts, fresh, wallets))

    def delete_pending_now(self, txs: list[Transaction]) -> None:
        self._writer.call("delete_pending", [tx.seq for tx in txs])

    # --- writes once attached (the event loop) -------------------------------------------------

    async def commit_block(
        self,
        block: Block,
        accounts: dict[str, tuple[int, int]],
        *,
        fresh: list[Transaction] | None = None,
    ) -> None:
        """Write a block, confirm its transactions and update accounts: all or nothing.

        `fresh` are transactions not yet on disk, stored in this same database transaction (one
        fsync for both): those in the block go in confirmed, the others pending.
        """
        rows = len(block.transactions) + len(fresh or ())
        if rows <= ENCODE_INLINE:
            frame = encode("commit_block", *block_rows(block, accounts, fresh, None))
        else:
            frame = await asyncio.get_running_loop().run_in_executor(
                self._encoder,
                lambda: encode("commit_block", *block_rows(block, accounts, fresh, None)),
            )
        await self._write(frame)

    async def insert_pending(self, txs: list[Transaction]) -> None:
        """Group commit: every transaction of the batch becomes durable in one fsync."""
        await self._write(encode("insert_pending", [_tx_row(tx, None, None) for tx in txs]))

    async def delete_pending(self, txs: list[Transaction]) -> None:
        await self._write(encode("delete_pending", [tx.seq for tx in txs]))

    async def add_wallet(self, address: str, label: str, seed: bytes, created: int) -> None:
        await self._write(encode("add_wallet", (address, label, seed, created)))

    async def probe_write(self) -> None:
        """A small real write: whether the database can be written again (after a full disk)."""
        await self._write(encode("set_meta", "write_probe", str(time.time())))

    async def _write(self, frame: bytes) -> None:
        """Every write once attached: a write that fails (full disk, I/O error) is remembered in
        `write_failure` until one succeeds, so /health tells what writes would answer."""
        try:
            await self._writer.send(frame)
        except StoreError:
            raise  # the writer is gone: the node stops (node/helper_watch.py)
        except Exception as exc:
            if isinstance(exc, sqlite3.Error):
                self.write_failure = describe_sqlite_error(self.path, exc)
            else:
                self.write_failure = f"cannot write {self.path}: {exc}"
            raise
        self.write_failure = None

    # --- reads (any reader thread) -------------------------------------------------------------

    def blocks_page(self, limit: int, offset: int, head: int) -> list[dict[str, Any]]:
        # Heights are dense, so a page is a primary-key range: fast at any depth of the chain.
        top = head - offset
        rows = self._reader().execute(
            f"SELECT {BLOCK_COLUMNS} FROM blocks WHERE height <= ? AND height > ? "
            "ORDER BY height DESC",
            (top, top - limit),
        )
        return [_block_summary(r) for r in rows]

    def block(self, height: int | None = None, block_hash: str | None = None) -> dict | None:
        conn = self._reader()
        if block_hash is not None:
            row = conn.execute(
                f"SELECT {BLOCK_COLUMNS} FROM blocks WHERE hash = ?", (block_hash,)
            ).fetchone()
        else:
            row = conn.execute(
                f"SELECT {BLOCK_COLUMNS} FROM blocks WHERE height = ?", (height,)
            ).fetchone()
        if row is None:
            return None
        block = _block_summary(row)
        block["transactions"] = self._block_transactions(conn, block["height"])
        return block

    def blocks_range(self, start: int, end: int) -> list[dict[str, Any]]:
        conn = self._reader()
        rows = conn.execute(
            f"SELECT {BLOCK_COLUMNS} FROM blocks WHERE height BETWEEN ? AND ? ORDER BY height",
            (start, end),
        ).fetchall()
        blocks = [_block_summary(r) for r in rows]
        by_height = {b["height"]: b for b in blocks}
        for b in blocks:
            b["transactions"] = []
        if blocks:
            for r in conn.execute(
                f"SELECT {TX_COLUMNS} FROM {TX_FROM} WHERE t.block_height BETWEEN ? AND ? "
                "ORDER BY t.block_height, t.block_index",
                (start, end),
            ):
                by_height[r[11]]["transactions"].append(self._tx_json(r))
        return blocks

    def tx_hashes_range(self, start: int, end: int) -> list[tuple[int, str, list[str]]]:
        """Blocks start..end as (height, hash, their transactions' hashes): what a client that
        only matches hashes needs, without building every transaction's JSON."""
        conn = self._reader()
        blocks = [
            (height, block_hash, [])
            for height, block_hash in conn.execute(
                "SELECT height, hash FROM blocks WHERE height BETWEEN ? AND ? ORDER BY height",
                (start, end),
            )
        ]
        if blocks:
            by_height = {b[0]: b[2] for b in blocks}
            for height, tx_hash in conn.execute(
                "SELECT block_height, hash FROM transactions WHERE block_height BETWEEN ? AND ? "
                "ORDER BY block_height, block_index",
                (start, end),
            ):
                by_height[height].append(tx_hash)
        return blocks

    def _block_transactions(self, conn: sqlite3.Connection, height: int) -> list[dict[str, Any]]:
        rows = conn.execute(
            f"SELECT {TX_COLUMNS} FROM {TX_FROM} WHERE t.block_height = ? ORDER BY t.block_index",
            (height,),
        )
        return [self._tx_json(r) for r in rows]

    def transactions_page(self, limit: int, offset: int) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            f"SELECT {TX_COLUMNS} FROM {TX_FROM} ORDER BY t.id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [self._tx_json(r) for r in rows]

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        row = (
            self._reader()
            .execute(f"SELECT {TX_COLUMNS} FROM {TX_FROM} WHERE t.hash = ?", (tx_hash,))
            .fetchone()
        )
        return self._tx_json(row) if row else None

    def has_transaction(self, tx_hash: str) -> bool:
        conn = self._reader()
        return (
            conn.execute("SELECT 1 FROM transactions WHERE hash = ?", (tx_hash,)).fetchone()
            is not None
        )

    def address_transactions(self, address: str, limit: int, offset: int) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            f"SELECT {TX_COLUMNS} FROM {TX_FROM} WHERE t.id IN ("
            "SELECT id FROM transactions WHERE sender = ? UNION "
            "SELECT id FROM transactions WHERE recipient = ?) "
            "ORDER BY t.id DESC LIMIT ? OFFSET ?",
            (address, address, limit, offset),
        )
        return [self._tx_json(r) for r in rows]

    def _tx_json(self, r: tuple[Any, ...]) -> dict[str, Any]:
        return {
            "hash": r[1],
            "chainId": self.chain_id,
            "from": r[2],
            "to": r[3],
            "amount": units_to_coins(r[4]),
            "fee": units_to_coins(r[5]),
            "nonce": r[6],
            "memo": r[7],
            "publicKey": r[8].hex(),
            "signature": r[9].hex(),
            "timestamp": r[10],
            "status": "pending" if r[11] is None else "confirmed",
            "blockHeight": r[11],
            "blockHash": r[12],
        }

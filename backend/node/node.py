"""The producer node: admits transactions, keeps them durable, seals blocks, announces events."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from backend import __version__
from backend.chain.block import Block, seal
from backend.chain.crypto import ZERO_HASH, Keypair, dev_wallet_seed
from backend.chain.genesis import genesis_block
from backend.chain.ledger import Ledger
from backend.chain.mempool import Mempool, Rejected
from backend.chain.transaction import Transaction, sign_transfer
from backend.node.config import DEFAULT_CHAIN_ID, NodeConfig
from backend.node.group_commit import GroupCommitter
from backend.node.helper_watch import HelperWatch
from backend.node.peers import PeerBook
from backend.node.verifier import ProcessVerifier
from backend.node.wallets import LabelTaken, WalletBook
from backend.storage.chain_store import ChainStore, StoreError

log = logging.getLogger("chaindeck.node")
R = TypeVar("R")

# Up to this many signatures, verifying on the loop (~55 us each) costs less than the round trip
# to a verifier process.
VERIFY_INLINE = 8
SEAL_INLINE = 256
STORAGE_PROBE_S = 1.0


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class Head:
    height: int
    hash: str
    timestamp: int


class Node:
    """One chain, owned by one asyncio loop. SQLite writes go, in order, to the writer process
    (backend/storage/writer_process.py); start-up runs on one database thread; worker threads
    seal big blocks and build their frames for the writer; reader threads serve reads;
    signatures of batches are checked in verifier processes."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.version = __version__
        self.role = "producer"
        self.url = ""  # the URL it serves, set by the server once bound
        self.peers = PeerBook()
        self.started_at = time.monotonic()
        self.ledger = Ledger()
        self.mempool = Mempool(self.ledger)
        self.wallets = WalletBook()
        self.store: ChainStore | None = None
        self.producer: Keypair | None = None
        self.head = Head(-1, ZERO_HASH, 0)
        self.chain_id = config.chain_id or DEFAULT_CHAIN_ID
        self.transactions_total = 0
        self.block_listeners: list[Callable[[dict[str, Any], Block], None]] = []
        self.tx_listeners: list[Callable[[list[Transaction]], None]] = []
        self._db = ThreadPoolExecutor(1, thread_name_prefix="chaindeck-db")
        self._workers = ThreadPoolExecutor(
            max(2, os.cpu_count() or 2), thread_name_prefix="chaindeck-work"
        )
        # Reads get threads of their own, so an explorer page never queues behind a batch's
        # signatures (that queueing put the read p95 at 67 ms under batch load).
        self._readers = ThreadPoolExecutor(2, thread_name_prefix="chaindeck-read")
        self._committer: GroupCommitter[Transaction] = GroupCommitter(self._write_pending)
        self.helpers = HelperWatch(lambda: self._stopping)  # a helper's death stops the node
        self._verifier = ProcessVerifier(
            max(2, os.cpu_count() or 2), VERIFY_INLINE, on_gone=self.helpers.gone
        )
        self._seq = 0
        self._seal_lock = asyncio.Lock()
        self._wallet_lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._sealer: asyncio.Task[None] | None = None
        self._storage_watch: asyncio.Task[None] | None = None
        self._stopping = False

    # --- threads -------------------------------------------------------------------------------

    async def in_db(self, fn: Callable[..., R], *args: Any) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    async def in_worker(self, fn: Callable[..., R], *args: Any) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._workers, fn, *args)

    async def read(self, fn: Callable[..., R], *args: Any) -> R:
        """Run a database read on the reader threads."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, fn, *args)

    # --- start and stop ------------------------------------------------------------------------

    async def start(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        await self.in_db(self._open)
        assert self.store is not None
        await self.store.attach(self.helpers.gone)
        # Starts the verifier processes (a few ms; their imports then run in them, ~0.3 s).
        await self._verifier.warm_up()
        self._sealer = asyncio.create_task(self._seal_loop(), name="sealer")
        self._storage_watch = asyncio.create_task(self._watch_storage(), name="storage-watch")
        if self.mempool.ready_count:
            self._ready.set()

    def _open(self) -> None:
        store = ChainStore(
            self.config.db_path, self.config.chain_id, DEFAULT_CHAIN_ID, encoder=self._workers
        )
        self.store = store
        self.chain_id = store.chain_id
        seed = store.meta("producer_seed")
        if seed is None:
            self.producer = Keypair.generate()
            store.set_meta("producer_seed", self.producer.seed.hex())
        else:
            self.producer = Keypair(bytes.fromhex(seed))
        for address, label, wallet_seed in store.wallets():
            key = Keypair(wallet_seed)
            if key.address != address:
                raise StoreError(f"{store.path} is damaged: wallet {label} has a foreign key")
            self.wallets.add(key, label)
        head = store.head()
        if head is None:
            self._genesis(store)
            return
        recomputed = Block(
            height=head["height"],
            previous_hash=head["previousHash"],
            timestamp=head["timestamp"],
            producer=head["producer"],
            merkle_root=head["merkleRoot"],
            difficulty=head["difficulty"],
            nonce=head["nonce"],
            tx_count=head["txCount"],
            size=head["size"],
        ).compute_hash()
        if recomputed != head["hash"]:
            raise StoreError(f"{store.path} is damaged: block {head['height']} fails its hash")
        self.head = Head(head["height"], head["hash"], head["timestamp"])
        for address, balance, nonce in store.accounts():
            self.ledger.balances[address] = balance
            if nonce:
                self.ledger.nonces[address] = nonce
        self._seq = store.max_tx_id()
        self.transactions_total = store.confirmed_count()
        restored = 0
        for tx in store.pending_transactions():
            try:
                self.mempool.check(tx)
            except Rejected as exc:
                log.warning("dropping stored pending transaction %s: %s", tx.hash, exc.message)
                store.delete_pending_now([tx])
                continue
            self.mempool.add(tx)
            restored += 1
        log.info(
            "resumed chain %s at height %d with %d pending transactions",
            self.chain_id,
            self.head.height,
            restored,
        )

    def _genesis(self, store: ChainStore) -> None:
        assert self.producer is not None
        created = now_ms()
        seed = self.config.dev_seed
        keys = [
            Keypair(dev_wallet_seed(seed, i)) if seed is not None else Keypair.generate()
            for i in range(1, self.config.accounts + 1)
        ]
        wallets: list[tuple[str, str, bytes, int]] = []
        for index, key in enumerate(keys):
            label = f"wallet{index + 1}"
            self.wallets.add(key, label)
            wallets.append((key.address, label, key.seed, created))
        block, txs = genesis_block(
            self.chain_id, self.producer, keys, self.config.balance_units, created, self._seq + 1
        )
        self._seq += len(txs)
        accounts = {tx.recipient: (tx.amount, 0) for tx in txs}
        store.commit_block_now(block, accounts, fresh=txs, wallets=wallets)
        self.ledger.commit(accounts)
        self.head = Head(0, block.hash, block.timestamp)
        log.info("created chain %s with %d dev wallets", self.chain_id, len(txs))

    async def stop(self) -> None:
        """Stop sealing, let the writes under way finish, close the database."""
        self._stopping = True
        tasks = [t for t in (self._sealer, self._storage_watch) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._committer.drain()
        if self.store is not None:
            await self.store.close()
        self._db.shutdown(wait=True)
        self._workers.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        await self._verifier.close()

    # --- transactions --------------------------------------------------------------------------

    async def submit(self, txs: list[Transaction]) -> list[Transaction | Rejected]:
        """Verify, admit and make durable. Each result is the accepted tx or why it was refused."""
        if not txs:
            return []
        valid = await self._verifier.check(txs)
        results: list[Transaction | Rejected] = []
        for tx, ok in zip(txs, valid, strict=True):
            if not ok:
                results.append(Rejected(400, "invalid_signature", "the signature does not verify"))
            else:
                results.append(tx)
        return await self._admit(results)

    async def _admit(
        self, candidates: list[Transaction | Rejected]
    ) -> list[Transaction | Rejected]:
        # No await between check and reserve: the mempool decision and the claim are atomic.
        results: list[Transaction | Rejected] = []
        accepted: list[Transaction] = []
        low_nonce: list[int] = []
        received = now_ms()
        for item in candidates:
            if isinstance(item, Rejected):
                results.append(item)
                continue
            try:
                self.mempool.check(item)
            except Rejected as exc:
                if exc.code == "nonce_too_low":
                    low_nonce.append(len(results))
                results.append(exc)
                continue
            if self._stopping:
                results.append(Rejected(503, "not_ready", "the node is stopping"))
                continue
            self._claim(item, received)
            accepted.append(item)
            results.append(item)
        if accepted:
            try:
                await self._committer.commit(accepted)
            except Exception as exc:
                log.error("could not store %d transactions: %s", len(accepted), exc)
                for tx in accepted:
                    self.mempool.release(tx)
                failed = Rejected(503, "storage_failed", "the node could not store the transaction")
                results = [failed if isinstance(r, Transaction) else r for r in results]
                accepted = []
            if self.mempool.ready_count:
                self._ready.set()
        # A used nonce may be a resubmission of a confirmed transaction: that is a duplicate.
        assert self.store is not None
        for index in low_nonce:
            tx = candidates[index]
            assert isinstance(tx, Transaction)
            if await self.read(self.store.has_transaction, tx.hash):
                results[index] = Rejected(409, "duplicate", f"transaction {tx.hash} is known")
        return results

    def _claim(self, tx: Transaction, received: int) -> None:
        """Give an admitted transaction its storage id and arrival time, and hold its nonce."""
        self._seq += 1
        tx.seq = self._seq
        tx.received = received
        self.mempool.reserve(tx)

    async def _write_pending(self, txs: list[Transaction]) -> None:
        """One write cycle of the group commit: make `txs` durable and, with --block-time 0,
        seal what is ready (them included) into a block in the same database transaction.

        One fsync instead of two: measured under 32 submissions in flight, separate commits kept
        the database writer 73% busy on fsyncs with each waiting behind the other. A crash loses
        both or neither, and no 201 is sent before the commit. The seal lock keeps every other
        sealer away from these transactions until they are on disk.
        """
        assert self.store is not None
        async with self._seal_lock:
            for tx in txs:
                self.mempool.make_durable(tx)
            try:
                if self.config.block_time <= 0 and self.mempool.ready_count and not self._stopping:
                    await self._seal_block(new_pending=txs)
                else:
                    await self.store.insert_pending(txs)
                    for listener in self.tx_listeners:
                        listener(txs)
            except BaseException:
                for tx in txs:
                    self.mempool.release(tx)
                raise

    async def send_from_wallet(
        self, sender: str, recipient: str, amount: int, fee: int, memo: str
    ) -> Transaction | Rejected:
        """A transfer the node signs with a managed wallet's key."""
        key = self.wallets.keys[sender]
        tx = sign_transfer(
            key, self.chain_id, recipient, amount, fee, self.mempool.pending_nonce(sender), memo
        )
        # Signed here a moment ago: no verification, and so no await before the nonce is claimed.
        (result,) = await self._admit([tx])
        return result

    async def create_wallet(self, label: str | None) -> tuple[Keypair, str]:
        """A new managed wallet; LabelTaken if `label` is in use. One at a time: two unlabelled
        creations at once would otherwise both be given the same next free label."""
        async with self._wallet_lock:
            if label is not None and label in self.wallets.by_label:
                raise LabelTaken(label)
            key = Keypair.generate()
            label = label or self.wallets.next_label()
            assert self.store is not None
            await self.store.add_wallet(key.address, label, key.seed, now_ms())
            self.wallets.add(key, label)
            return key, label

    # --- blocks --------------------------------------------------------------------------------

    async def _seal_loop(self) -> None:
        interval = self.config.block_time
        next_at = time.monotonic() + interval
        while True:
            if interval > 0:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at = max(next_at + interval, time.monotonic())
            else:
                await self._ready.wait()
                self._ready.clear()
                if not self.mempool.ready_count:
                    continue
            try:
                async with self._seal_lock:
                    await self._seal_block()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sealing failed; retrying")
                await asyncio.sleep(0.5)
            if interval <= 0 and self.mempool.ready_count:
                self._ready.set()

    async def mine(self, count: int) -> list[Block]:
        async with self._seal_lock:
            return [await self._seal_block() for _ in range(count)]

    async def _seal_block(self, new_pending: list[Transaction] | None = None) -> Block:
        assert self.producer is not None and self.store is not None
        candidates = self.mempool.take(self.config.max_block_txs)
        included, dropped, touched = self.ledger.plan_block(candidates, self.producer.address)

        def build() -> Block:
            return seal(
                height=self.head.height + 1,
                previous_hash=self.head.hash,
                timestamp=max(now_ms(), self.head.timestamp),
                producer=self.producer,  # type: ignore[arg-type]
                transactions=included,
                difficulty=self.config.difficulty,
            )

        # A small block without work costs ~100 us to seal: less than a thread hop.
        if self.config.difficulty == 0 and len(included) <= SEAL_INLINE:
            block = build()
        else:
            block = await self.in_worker(build)
        try:
            await self.store.commit_block(block, touched, fresh=new_pending)
        except BaseException:
            self.mempool.put_back(candidates)
            raise
        self.ledger.commit(touched)
        self.mempool.confirm(included)
        if dropped:
            log.warning("dropped %d transactions that no longer apply", len(dropped))
            for tx in dropped:
                self.mempool.release(tx)
            await self.store.delete_pending(dropped)
        self.head = Head(block.height, block.hash, block.timestamp)
        self.transactions_total += len(included)
        if new_pending:
            for tx_listener in self.tx_listeners:
                tx_listener(new_pending)
        summary = block.summary()
        for listener in self.block_listeners:
            listener(summary, block)
        return block

    # --- status --------------------------------------------------------------------------------

    @property
    def producer_public_key(self) -> bytes | None:
        """The key that signs this chain's blocks, for followers to check them with."""
        return self.producer.public_key if self.producer is not None else None

    async def _watch_storage(self) -> None:
        """After a failed write, try a small one every STORAGE_PROBE_S: /health turns ok again
        as soon as the disk takes writes, without waiting for a client's transaction."""
        assert self.store is not None
        while True:
            await asyncio.sleep(STORAGE_PROBE_S)
            if self.store.write_failure is None or self._stopping:
                continue
            try:
                await self.store.probe_write()
            except StoreError:
                return  # the writer is gone; the node is stopping
            except Exception:
                continue
            log.info("the database takes writes again")

    def health(self) -> tuple[int, dict[str, Any]]:
        """`/health`: status code and body."""
        failure = self.store.write_failure if self.store is not None else None
        if failure is not None:
            return 503, {"error": "storage_failed", "message": failure}
        return 200, {
            "status": "ok",
            "height": self.head.height,
            "role": self.role,
            "version": self.version,
        }

    def status(self) -> dict[str, Any]:
        return {
            "chainId": self.chain_id,
            "blockHeight": self.head.height,
            "latestHash": self.head.hash,
            "difficulty": self.config.difficulty,
            "blockTime": self.config.block_time,
            "mempoolSize": len(self.mempool),
            "peers": self.peers.listing(),
            "role": self.role,
            "version": self.version,
            "uptime": round(time.monotonic() - self.started_at, 3),
        }

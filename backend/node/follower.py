"""A follower: replicates a producer's chain, verifying every block before it applies it, serves
reads from its own copy, and forwards what only the producer can do.

Three tasks share the work: a heartbeat (1 s) that tells the producer we exist and learns its
height, a WebSocket feed that hears of new blocks and transactions at once, and a syncer that
fetches missing blocks by range and applies them in order. The heartbeat alone is enough to stay
in step, so a lost feed costs latency, not correctness.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from backend.chain.block import Block, InvalidBlock, block_size, check_block
from backend.chain.block_json import transaction_from_json
from backend.chain.crypto import ZERO_ADDRESS, ZERO_HASH
from backend.chain.mempool import Rejected
from backend.chain.transaction import Transaction
from backend.node.config import NodeConfig
from backend.node.mirroring import MirroringNode
from backend.node.node import Head, now_ms
from backend.node.producer_labels import LabelLearner, labels_in, parse_blocks
from backend.node.upstream import FollowError, LinkError, NotAProducer, ProducerLink
from backend.storage.chain_store import ChainStore, StoreError

log = logging.getLogger("chaindeck.follower")

HEARTBEAT_S = 1.0
RANGE = 100  # blocks a fetch: bounded memory even when every block is full
# /health turns 503 when the producer has not answered for this long (node-api.md).
LOST_AFTER_S = 15.0
FIRST_CONTACT_S = 30.0
# /health turns 503 when the producer is ahead and no block was applied here for this long.
STALLED_AFTER_S = 15.0
READ_YOUR_WRITES_S = 10.0
CHECK_INLINE = 64  # transactions; a bigger block is checked on a worker thread


class Follower(MirroringNode):
    def __init__(self, config: NodeConfig, operator: tuple[str, str]) -> None:
        super().__init__(config)
        assert config.peer is not None
        self.role = "follower"
        self.link = ProducerLink(config.peer, *operator)
        self.producer_key: bytes | None = None
        self.producer_height = -1
        self.producer_seen_ms = 0
        self.upstream: dict[str, Any] = {}
        self.problem: str | None = None  # a refused block or a foreign producer, for /health
        # Why blocks cannot be applied (an error that is not the producer's fault), for /health.
        self.sync_failure: str | None = None
        # Since when the producer is ahead and no block was applied here: a follower that
        # stands still behind its producer is not healthy, whatever the reason.
        self._behind_since: float | None = None
        self.refused_blocks = 0
        self._last_contact = 0.0
        self.labels = LabelLearner(self.wallets)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def producer_public_key(self) -> bytes | None:
        return self.producer_key

    # --- start and stop ------------------------------------------------------------------------

    async def start(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = not self.config.db_path.exists()
        try:
            await self._first_contact(FIRST_CONTACT_S if fresh else 3.0)
        except LinkError as exc:
            if fresh:
                await self.link.close()
                raise FollowError(f"cannot follow {self.link.url}: {exc}") from None
            log.warning("%s unreachable (%s); serving the stored chain", self.link.url, exc)
        if fresh:
            self.config.chain_id = self.upstream["chainId"]
        await self.in_db(self._open)
        assert self.store is not None
        # Pending transactions restored from disk have their rows: a block that confirms one
        # confirms that row. Counted as new, the block's commit failed on the duplicate hash,
        # and the follower never applied a block again.
        self._stored = set(self.mempool.by_hash)
        await self.in_db(self._pin_producer, self.store)
        await self.store.attach(self.helpers.gone)
        if self.head.height < 0:
            # Genesis before the ready line, so the node serves a chain from its first answer.
            try:
                await self._catch_up(until=0)
            except (LinkError, InvalidBlock) as exc:
                raise FollowError(f"cannot take genesis from {self.link.url}: {exc}") from None
        await self._verifier.warm_up()
        self._tasks = [
            asyncio.create_task(self._heartbeats(), name="heartbeat"),
            asyncio.create_task(self._follow_feed(), name="feed"),
            asyncio.create_task(self._sync(), name="sync"),
            asyncio.create_task(self._learn_labels(), name="labels"),
            asyncio.create_task(self._watch_storage(), name="storage-watch"),
        ]
        for task in self._tasks:
            task.add_done_callback(self._task_ended)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        """A task that dies of an error is a bug, and the follower must not look healthy
        without it: /health says so (and the log has the traceback)."""
        if self._stopping or task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        self.sync_failure = f"the follower's {task.get_name()} task stopped: {error!r}"
        log.error("%s", self.sync_failure, exc_info=error)

    async def _first_contact(self, patience: float) -> None:
        deadline = time.monotonic() + patience
        while True:
            try:
                await self._beat()
                self.upstream = await self.link.status()
                return
            except NotAProducer:
                raise
            except LinkError:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.5)

    def _genesis(self, store: ChainStore) -> None:
        """A follower's genesis is its producer's: fetched and checked like any block."""

    def _pin_producer(self, store: ChainStore) -> None:
        """The first producer a data dir follows is the only one it will follow: a restart
        against another chain's producer is refused, not silently mixed in."""
        pinned = store.meta("producer_key")
        if self.producer_key is None:
            self.producer_key = bytes.fromhex(pinned) if pinned else None
        elif pinned is None:
            store.set_meta("producer_key", self.producer_key.hex())
        elif pinned != self.producer_key.hex():
            raise StoreError(
                f"{store.path} follows another producer; {self.link.url} signs with a different "
                "key (use a new --data-dir to follow it)"
            )
        if self.upstream and self.upstream.get("chainId") != store.chain_id:
            raise StoreError(
                f"{store.path} holds chain {store.chain_id!r}, but {self.link.url} serves "
                f"{self.upstream.get('chainId')!r}"
            )

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.link.close()
        await super().stop()  # drains the group commit, which the mirroring tasks wait on
        await asyncio.gather(*self._mirroring, return_exceptions=True)

    # --- staying in touch ----------------------------------------------------------------------

    async def _beat(self) -> None:
        height, key = await self.link.heartbeat(self.url, self.head.height)
        if self.producer_key is not None and key != self.producer_key:
            self.problem = (
                f"the producer at {self.link.url} now signs with a different key; "
                "its blocks are refused"
            )
            raise LinkError(self.problem)
        self.producer_key = key
        self._producer_at(height)
        self.producer_seen_ms = now_ms()
        self._last_contact = time.monotonic()
        if height > self.head.height:
            self._wake.set()

    def _producer_at(self, height: int) -> None:
        self.producer_height = height
        if height > self.head.height and self._behind_since is None:
            self._behind_since = time.monotonic()
        elif height <= self.head.height:
            self._behind_since = None

    async def _heartbeats(self) -> None:
        reachable = True
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._beat()
                if not reachable:
                    log.info("producer %s is back at %d", self.link.url, self.producer_height)
                reachable = True
            except LinkError as exc:
                if reachable:
                    log.warning("producer %s unreachable: %s", self.link.url, exc)
                reachable = False

    async def _follow_feed(self) -> None:
        backoff = 0.5
        while True:
            try:
                async for message in self.link.feed():
                    backoff = 0.5
                    await self._on_message(message)
            except LinkError as exc:
                log.debug("feed dropped: %s", exc)
            except ValueError as exc:
                log.warning("unreadable message from the producer: %s", exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
            self._wake.set()  # back-fill whatever the gap missed

    async def _on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "new_block":
            height = message.get("block", {}).get("height")
            if isinstance(height, int) and height > self.producer_height:
                self._producer_at(height)
                self._wake.set()
        elif kind == "new_transaction":
            try:
                tx = transaction_from_json(message.get("transaction"), "feed", genesis=False)
            except InvalidBlock:
                return
            self.labels.learn(labels_in([message["transaction"]]))
            if tx.chain_id == self.chain_id:
                self._mirror_soon(tx)
        elif kind == "lagged":
            self._wake.set()

    async def _learn_labels(self) -> None:
        """Wallet labels live on the producer; learn them so `wallet1` means the same here."""
        with contextlib.suppress(LinkError):
            await self.forward_operator("GET", "/api/v1/wallets", b"")

    # --- applying blocks -----------------------------------------------------------------------

    async def _sync(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), HEARTBEAT_S)
            self._wake.clear()
            try:
                await self._catch_up()
            except InvalidBlock as exc:
                message = f"refused a block from {self.link.url}: {exc}"
                if message != self.problem:
                    self.refused_blocks += 1
                    log.error("%s", message)
                self.problem = message
                await asyncio.sleep(5.0)  # the same range again later: it may have been transient
            except LinkError as exc:
                log.debug("sync paused: %s", exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Not the producer's fault (a write that failed here, a bug): keep trying, and
                # say so on /health until a block applies again.
                message = f"cannot apply the producer's blocks: {exc}"
                if message != self.sync_failure:
                    log.exception("%s", message)
                self.sync_failure = message
                await asyncio.sleep(2.0)

    async def _catch_up(self, until: int | None = None) -> None:
        while self.head.height < self.producer_height and not self._stopping:
            start = self.head.height + 1
            end = min(self.producer_height, start + RANGE - 1)
            if until is not None:
                end = min(end, until)
                if start > until:
                    return
            raw = await self.link.blocks(start, end)
            blocks, error, labels = await self.in_worker(parse_blocks, raw)
            self.labels.learn(labels)  # before the blocks: no read sees a label come later
            for block in blocks:
                await self._apply(block)
            if error is not None:
                raise error
            if not blocks:
                return
            if self.problem and self.problem.startswith("refused a block"):
                log.info("the chain applies again from height %d", blocks[0].height)
                self.problem = None

    async def _check(self, block: Block) -> dict[str, tuple[int, int]]:
        """Every rule a block must pass; returns the account states it leads to."""
        assert self.producer_key is not None
        head = self.head
        expected_previous = ZERO_HASH if block.height == 0 else head.hash
        if block.height != head.height + 1 or block.previous_hash != expected_previous:
            raise InvalidBlock(
                f"block {block.height} does not extend this chain at height {head.height}"
            )
        if block.timestamp < head.timestamp:
            raise InvalidBlock(f"block {block.height} is older than its parent")
        if block.size != block_size(block.transactions):
            raise InvalidBlock(f"block {block.height} states a wrong size")
        if len(block.transactions) > CHECK_INLINE:
            await self.in_worker(check_block, block, self.producer_key)
        else:
            check_block(block, self.producer_key)
        txs = block.transactions
        for tx in txs:
            if tx.chain_id != self.chain_id:
                raise InvalidBlock(f"block {block.height}: {tx.hash} is another chain's")
        if block.height == 0:
            touched: dict[str, tuple[int, int]] = {}
            for tx in txs:
                if tx.sender != ZERO_ADDRESS or tx.fee:
                    raise InvalidBlock("genesis may only fund wallets")
                balance = touched.get(tx.recipient, (0, 0))[0]
                touched[tx.recipient] = (balance + tx.amount, 0)
            return touched
        valid = await self._verifier.check(txs)
        for tx, ok in zip(txs, valid, strict=True):
            if not ok:
                raise InvalidBlock(f"block {block.height}: {tx.hash} has a bad signature")
        _, dropped, touched = self.ledger.plan_block(txs, block.producer)
        if dropped:
            raise InvalidBlock(
                f"block {block.height}: transaction {dropped[0].hash} does not apply "
                "(nonce or balance)"
            )
        return touched

    async def _apply(self, block: Block) -> None:
        assert self.store is not None
        touched = await self._check(block)
        async with self._seal_lock:
            fresh: list[Transaction] = []
            mirrored: list[Transaction] = []
            for i, tx in enumerate(block.transactions):
                known = self.mempool.by_hash.get(tx.hash)
                if known is not None:
                    mirrored.append(known)
                    if tx.hash in self._stored:
                        block.transactions[i] = known  # its row exists: confirm it in place
                        continue
                self._seq += 1
                tx.seq = self._seq
                tx.received = tx.received or block.timestamp
                fresh.append(block.transactions[i])
            await self.store.commit_block(block, touched, fresh=fresh)
            self.ledger.commit(touched)
            self.mempool.confirm(mirrored)
            for tx in mirrored:
                self._stored.discard(tx.hash)
            await self._drop_stale(touched)
            self.head = Head(block.height, block.hash, block.timestamp)
            self.sync_failure = None
            self._behind_since = time.monotonic() if self.producer_height > block.height else None
            if block.height > 0:
                self.transactions_total += len(block.transactions)
            summary = block.summary()
            for listener in self.block_listeners:
                listener(summary, block)

    async def _admit(
        self, candidates: list[Transaction | Rejected]
    ) -> list[Transaction | Rejected]:
        """Checked here (signatures, fields), decided by the producer, mirrored on success."""
        txs = [c for c in candidates if isinstance(c, Transaction)]
        if not txs:
            return candidates
        if self._stopping:
            answers: list[Transaction | Rejected] = [
                Rejected(503, "not_ready", "the node is stopping") for _ in txs
            ]
        else:
            try:
                answers = await self.link.submit(txs)
            except LinkError as exc:
                down = Rejected(503, "producer_unreachable", f"{self.link.url}: {exc}")
                answers = [down for _ in txs]
        accepted = [a for a in answers if isinstance(a, Transaction)]
        if accepted:
            await self._mirror(accepted)
        merged = iter(answers)
        return [next(merged) if isinstance(c, Transaction) else c for c in candidates]

    # --- what only the producer does -----------------------------------------------------------

    async def forward_operator(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        """Node-signed transfers, wallets and mining happen on the producer; the answer comes
        back once this follower shows its effect, so a client reads its own writes here."""
        status, answer = await self.link.operator(method, path, body)
        if path == "/api/v1/wallets" and status in (200, 201):
            wallets = answer if isinstance(answer, list) else [answer]
            self.labels.learn({wallet["address"]: wallet["label"] for wallet in wallets})
        elif path == "/api/v1/transactions" and status == 201:
            self.labels.learn(labels_in([answer]))
            with contextlib.suppress(InvalidBlock):
                await self._mirror([transaction_from_json(answer, "transfer", genesis=False)])
        elif path == "/api/v1/mine" and status == 200 and answer:
            await self.reach(max(block["height"] for block in answer))
        return status, answer

    async def reach(self, height: int) -> None:
        deadline = time.monotonic() + READ_YOUR_WRITES_S
        self._producer_at(max(self.producer_height, height))
        self._wake.set()
        while self.head.height < height and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    # --- status --------------------------------------------------------------------------------

    def health(self) -> tuple[int, dict[str, Any]]:
        now = time.monotonic()
        silent = now - self._last_contact
        if self.head.height < 0:
            return 503, {"error": "not_ready", "message": "syncing the chain from the producer"}
        if self.problem:
            return 503, {"error": "invalid_block", "message": self.problem}
        if self.sync_failure:
            return 503, {"error": "sync_failed", "message": self.sync_failure}
        if silent > LOST_AFTER_S:
            return 503, {
                "error": "producer_lost",
                "message": f"no answer from the producer {self.link.url} for {silent:.0f} s",
            }
        behind = self._behind_since
        if behind is not None and now - behind > STALLED_AFTER_S:
            return 503, {
                "error": "sync_stalled",
                "message": f"{self.producer_height - self.head.height} blocks behind the "
                f"producer and no block applied for {now - behind:.0f} s",
            }
        return super().health()

    def status(self) -> dict[str, Any]:
        out = super().status()
        out["difficulty"] = self.upstream.get("difficulty", 0)
        out["blockTime"] = self.upstream.get("blockTime", 0)
        out["peers"] = [
            {
                "url": self.link.url,
                "role": "producer",
                "height": self.producer_height,
                "lastSeen": self.producer_seen_ms,
            },
            *out["peers"],
        ]
        if self.problem or self.sync_failure:
            out["problem"] = self.problem or self.sync_failure
        return out

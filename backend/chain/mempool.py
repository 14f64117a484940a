"""The mempool: transactions waiting for a block, ordered by sender nonce.

A transaction is first *reserved* (it counts for duplicates, nonces and the sender's spending),
then made *durable* once it is committed to disk; only durable transactions whose nonces follow
on without a gap are *ready* to be sealed, in arrival order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from backend.chain.ledger import Ledger
from backend.chain.transaction import Transaction


class Rejected(Exception):
    """A transaction the node refuses, with the HTTP status and error code of the spec."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(slots=True)
class _SenderQueue:
    next_ready: int
    spend: int = 0
    txs: dict[int, Transaction] = field(default_factory=dict)
    durable: set[int] = field(default_factory=set)


class Mempool:
    def __init__(self, ledger: Ledger, *, capacity: int = 200_000, max_gap: int = 1_000) -> None:
        self.ledger = ledger
        self.capacity = capacity
        self.max_gap = max_gap
        self.by_hash: dict[str, Transaction] = {}
        self._senders: dict[str, _SenderQueue] = {}
        self._ready: deque[Transaction] = deque()

    def __len__(self) -> int:
        return len(self.by_hash)

    @property
    def ready_count(self) -> int:
        return len(self._ready)

    def pending_nonce(self, address: str) -> int:
        nonce = self.ledger.nonce(address)
        queue = self._senders.get(address)
        if queue is not None:
            while nonce in queue.txs:
                nonce += 1
        return nonce

    def spendable(self, address: str) -> int:
        queue = self._senders.get(address)
        return self.ledger.balance(address) - (queue.spend if queue else 0)

    def check(self, tx: Transaction) -> None:
        """Raise Rejected unless tx may join the pool. `tx_known_confirmed` is the caller's job."""
        if tx.hash in self.by_hash:
            raise Rejected(409, "duplicate", f"transaction {tx.hash} is already pending")
        confirmed = self.ledger.nonce(tx.sender)
        if tx.nonce < confirmed:
            raise Rejected(
                422, "nonce_too_low", f"nonce {tx.nonce} is used; the sender's next is {confirmed}"
            )
        if tx.nonce > confirmed + self.max_gap:
            raise Rejected(
                422,
                "nonce_too_high",
                f"nonce {tx.nonce} is more than {self.max_gap} ahead of the sender's next "
                f"({confirmed})",
            )
        queue = self._senders.get(tx.sender)
        if queue is not None and tx.nonce in queue.txs:
            raise Rejected(
                409,
                "nonce_pending",
                f"a transaction with nonce {tx.nonce} from this sender is already pending; "
                "replacements are refused",
            )
        if self.spendable(tx.sender) < tx.amount + tx.fee:
            raise Rejected(
                422,
                "insufficient_balance",
                "balance does not cover amount + fee (pending transactions included)",
            )
        if len(self.by_hash) >= self.capacity:
            raise Rejected(503, "mempool_full", "the mempool is full; try again shortly")

    def reserve(self, tx: Transaction) -> None:
        queue = self._senders.get(tx.sender)
        if queue is None:
            queue = self._senders[tx.sender] = _SenderQueue(self.ledger.nonce(tx.sender))
        queue.txs[tx.nonce] = tx
        queue.spend += tx.amount + tx.fee
        self.by_hash[tx.hash] = tx

    def make_durable(self, tx: Transaction) -> None:
        queue = self._senders[tx.sender]
        queue.durable.add(tx.nonce)
        while queue.next_ready in queue.durable:
            self._ready.append(queue.txs[queue.next_ready])
            queue.next_ready += 1

    def add(self, tx: Transaction) -> None:
        """Reserve and make durable at once (transactions restored from disk)."""
        self.reserve(tx)
        self.make_durable(tx)

    def release(self, tx: Transaction) -> None:
        """Forget a reserved transaction that never became durable, or that a block dropped."""
        if self.by_hash.pop(tx.hash, None) is None:
            return
        queue = self._senders[tx.sender]
        del queue.txs[tx.nonce]
        queue.durable.discard(tx.nonce)
        queue.spend -= tx.amount + tx.fee
        if tx.nonce < queue.next_ready:
            # It may be in the ready queue, and later nonces of this sender can no longer be
            # sealed: they wait for the gap again.
            queue.next_ready = tx.nonce
            stale = {id(t) for t in queue.txs.values() if t.nonce > tx.nonce}
            stale.add(id(tx))
            self._ready = deque(t for t in self._ready if id(t) not in stale)
        if not queue.txs:
            del self._senders[tx.sender]

    def holds(self, sender: str, nonce: int) -> bool:
        queue = self._senders.get(sender)
        return queue is not None and nonce in queue.txs

    def stale(self, sender: str) -> list[Transaction]:
        """Pending transactions of `sender` whose nonce a block has since used."""
        queue = self._senders.get(sender)
        used = self.ledger.nonce(sender)
        return [tx for nonce, tx in queue.txs.items() if nonce < used] if queue else []

    def take(self, limit: int) -> list[Transaction]:
        """Pop up to `limit` ready transactions for a block; they stay pending until `confirm`."""
        count = min(limit, len(self._ready))
        return [self._ready.popleft() for _ in range(count)]

    def put_back(self, txs: list[Transaction]) -> None:
        """Return taken transactions to the front after a block failed to commit."""
        self._ready.extendleft(reversed(txs))

    def confirm(self, txs: list[Transaction]) -> None:
        for tx in txs:
            del self.by_hash[tx.hash]
            queue = self._senders[tx.sender]
            del queue.txs[tx.nonce]
            queue.durable.discard(tx.nonce)
            queue.spend -= tx.amount + tx.fee
            if not queue.txs:
                del self._senders[tx.sender]

"""Mempool ordering by sender nonce, gaps, duplicates, replacements and spending limits."""

from __future__ import annotations

import pytest

from backend.chain.crypto import Keypair
from backend.chain.ledger import Ledger
from backend.chain.mempool import Mempool, Rejected
from backend.chain.transaction import Transaction, sign_transfer
from backend.chain.units import COIN

CHAIN = "test-chain"
FEE = 10_000
BOB = "0x" + "b0" * 20


@pytest.fixture
def alice() -> Keypair:
    return Keypair(bytes([1]) * 32)


@pytest.fixture
def ledger(alice: Keypair) -> Ledger:
    ledger = Ledger()
    ledger.credit(alice.address, 100 * COIN)
    return ledger


def transfer(key: Keypair, nonce: int, amount: int = COIN, to: str = BOB) -> Transaction:
    return sign_transfer(key, CHAIN, to, amount, FEE, nonce)


def admit(pool: Mempool, tx: Transaction) -> None:
    pool.check(tx)
    pool.add(tx)


def test_ready_in_nonce_order_and_future_nonces_wait_for_the_gap(alice, ledger) -> None:
    pool = Mempool(ledger)
    admit(pool, transfer(alice, 2))
    admit(pool, transfer(alice, 1))
    assert pool.ready_count == 0
    assert pool.pending_nonce(alice.address) == 0
    admit(pool, transfer(alice, 0))
    assert pool.pending_nonce(alice.address) == 3
    assert [tx.nonce for tx in pool.take(10)] == [0, 1, 2]


def test_senders_interleave_in_arrival_order(alice, ledger) -> None:
    carol = Keypair(bytes([2]) * 32)
    ledger.credit(carol.address, 10 * COIN)
    pool = Mempool(ledger)
    a0, c0, a1 = transfer(alice, 0), transfer(carol, 0), transfer(alice, 1)
    for tx in (a0, c0, a1):
        admit(pool, tx)
    assert pool.take(2) == [a0, c0]
    assert pool.take(5) == [a1]


def test_a_duplicate_is_refused(alice, ledger) -> None:
    pool = Mempool(ledger)
    tx = transfer(alice, 0)
    admit(pool, tx)
    with pytest.raises(Rejected) as info:
        pool.check(tx)
    assert (info.value.status, info.value.code) == (409, "duplicate")


def test_a_replacement_for_a_pending_nonce_is_refused(alice, ledger) -> None:
    pool = Mempool(ledger)
    admit(pool, transfer(alice, 0, amount=COIN))
    with pytest.raises(Rejected) as info:
        pool.check(transfer(alice, 0, amount=2 * COIN))
    assert (info.value.status, info.value.code) == (409, "nonce_pending")


def test_used_nonce_and_too_far_ahead_are_422(alice, ledger) -> None:
    ledger.nonces[alice.address] = 5
    pool = Mempool(ledger, max_gap=10)
    with pytest.raises(Rejected) as low:
        pool.check(transfer(alice, 4))
    assert (low.value.status, low.value.code) == (422, "nonce_too_low")
    with pytest.raises(Rejected) as high:
        pool.check(transfer(alice, 16))
    assert (high.value.status, high.value.code) == (422, "nonce_too_high")


def test_pending_spending_counts_against_the_balance(alice, ledger) -> None:
    pool = Mempool(ledger)
    admit(pool, transfer(alice, 0, amount=60 * COIN))
    with pytest.raises(Rejected) as info:
        pool.check(transfer(alice, 1, amount=40 * COIN))  # 60 + 40 + 2 fees > 100
    assert (info.value.status, info.value.code) == (422, "insufficient_balance")
    admit(pool, transfer(alice, 1, amount=39 * COIN))


def test_only_durable_transactions_become_ready(alice, ledger) -> None:
    pool = Mempool(ledger)
    first, second = transfer(alice, 0), transfer(alice, 1)
    pool.reserve(first)
    pool.reserve(second)
    pool.make_durable(second)
    assert pool.ready_count == 0  # nonce 0 is not on disk yet
    pool.make_durable(first)
    assert pool.take(10) == [first, second]


def test_a_released_reservation_frees_its_nonce(alice, ledger) -> None:
    pool = Mempool(ledger)
    tx = transfer(alice, 0)
    pool.reserve(tx)
    pool.release(tx)
    assert len(pool) == 0 and pool.pending_nonce(alice.address) == 0
    admit(pool, transfer(alice, 0, amount=2 * COIN))


def test_confirm_and_put_back(alice, ledger) -> None:
    pool = Mempool(ledger)
    txs = [transfer(alice, n) for n in range(3)]
    for tx in txs:
        admit(pool, tx)
    taken = pool.take(2)
    pool.put_back(taken)
    assert pool.take(3) == txs
    included, dropped, touched = ledger.plan_block(txs, "0x" + "ee" * 20)
    assert included == txs and not dropped
    ledger.commit(touched)
    pool.confirm(txs)
    assert len(pool) == 0
    assert ledger.nonce(alice.address) == 3
    assert pool.pending_nonce(alice.address) == 3


def test_mempool_capacity(alice, ledger) -> None:
    pool = Mempool(ledger, capacity=1)
    admit(pool, transfer(alice, 0))
    with pytest.raises(Rejected) as info:
        pool.check(transfer(alice, 1))
    assert info.value.status == 503

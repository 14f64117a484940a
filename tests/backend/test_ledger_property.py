"""Property: any stream of valid and invalid transactions, sealed in any rhythm, keeps the sum of
balances constant and never lets a balance go negative."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.chain.crypto import Keypair
from backend.chain.ledger import Ledger
from backend.chain.mempool import Mempool, Rejected
from backend.chain.transaction import Transaction, sign_transfer
from backend.chain.units import COIN

CHAIN = "prop-chain"
KEYS = [Keypair(bytes([i + 1]) * 32) for i in range(4)]
PRODUCER = Keypair(bytes([99]) * 32).address
OUTSIDER = "0x" + "77" * 20

action = st.one_of(
    st.tuples(
        st.just("send"),
        st.integers(0, len(KEYS) - 1),  # sender
        st.integers(0, len(KEYS)),  # recipient (len(KEYS) = an outsider)
        st.integers(1, 60 * COIN),  # amount: sometimes more than the balance
        st.integers(10_000, 5 * COIN),  # fee
        st.integers(-2, 3),  # nonce offset from the pending nonce: used, next, or a gap
        st.booleans(),  # corrupt the signature
    ),
    st.tuples(st.just("seal"), st.integers(1, 20)),
)


def apply_stream(actions: list[tuple]) -> Ledger:
    ledger = Ledger()
    for key in KEYS:
        ledger.credit(key.address, 100 * COIN)
    total = ledger.total()
    pool = Mempool(ledger, max_gap=8)
    for item in actions:
        if item[0] == "send":
            _, s, r, amount, fee, offset, corrupt = item
            sender = KEYS[s]
            to = OUTSIDER if r == len(KEYS) else KEYS[r].address
            nonce = max(0, pool.pending_nonce(sender.address) + offset)
            tx = sign_transfer(sender, CHAIN, to, amount, fee, nonce)
            if corrupt:
                tx = Transaction(
                    chain_id=tx.chain_id,
                    sender=tx.sender,
                    recipient=tx.recipient,
                    amount=tx.amount + 1,
                    fee=tx.fee,
                    nonce=tx.nonce,
                    memo=tx.memo,
                    public_key=tx.public_key,
                    signature=tx.signature,
                )
            if not tx.signature_valid():
                continue
            try:
                pool.check(tx)
            except Rejected:
                continue
            pool.add(tx)
        else:
            candidates = pool.take(item[1])
            included, dropped, touched = ledger.plan_block(candidates, PRODUCER)
            assert not dropped, "admission let in a transaction that does not apply"
            ledger.commit(touched)
            pool.confirm(included)
        assert ledger.total() == total
        assert all(balance >= 0 for balance in ledger.balances.values())
        for key in KEYS:
            assert pool.spendable(key.address) >= 0
    return ledger


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, max_size=60))
def test_balances_are_conserved_and_never_negative(actions: list[tuple]) -> None:
    apply_stream(actions)


def test_plan_block_drops_what_no_longer_applies() -> None:
    ledger = Ledger()
    key = KEYS[0]
    ledger.credit(key.address, 10 * COIN)
    too_much = sign_transfer(key, CHAIN, OUTSIDER, 20 * COIN, 10_000, 0)
    wrong_nonce = sign_transfer(key, CHAIN, OUTSIDER, COIN, 10_000, 5)
    ok = sign_transfer(key, CHAIN, OUTSIDER, COIN, 10_000, 0)
    included, dropped, touched = ledger.plan_block([too_much, wrong_nonce, ok], PRODUCER)
    assert included == [ok] and dropped == [too_much, wrong_nonce]
    ledger.commit(touched)
    assert ledger.balance(OUTSIDER) == COIN
    assert ledger.balance(PRODUCER) == 10_000
    assert ledger.total() == 10 * COIN

"""Signature checks in the verifier processes: each caller gets its own answers, big checks are
split across the processes, and a caller that gives up does not lose its neighbours' replies."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing.resource_tracker
from collections.abc import AsyncIterator

import pytest

from backend.chain.crypto import Keypair
from backend.chain.transaction import Transaction, sign_transfer
from backend.node.verifier import SPLIT_AT, ProcessVerifier, VerifierGone

CHAIN = "chaindeck-test"
TO = "0x" + "5a" * 20


@pytest.fixture(scope="module", autouse=True)
def resource_tracker() -> None:
    """Spawning starts multiprocessing's tracker once per test process: before the per-test
    check for leftover processes looks."""
    multiprocessing.resource_tracker.ensure_running()


def signed(count: int) -> list[Transaction]:
    key = Keypair.generate()
    return [sign_transfer(key, CHAIN, TO, 1, 10_000, n, "") for n in range(count)]


def forged(tx: Transaction) -> Transaction:
    return dataclasses.replace(tx, amount=tx.amount + 1, message=b"", hash="")


@pytest.fixture
async def verifier() -> AsyncIterator[ProcessVerifier]:
    checker = ProcessVerifier(2, inline=8)
    await checker.warm_up()
    yield checker
    await checker.close()


@pytest.mark.parametrize("count", [2, 12])  # on the loop, and in a verifier process
async def test_each_signature_gets_its_own_answer(verifier: ProcessVerifier, count: int) -> None:
    txs = signed(count)
    txs[1] = forged(txs[1])
    assert await verifier.check(txs) == [i != 1 for i in range(count)]


async def test_concurrent_checks_get_their_own_answers(verifier: ProcessVerifier) -> None:
    batches = [signed(12) for _ in range(6)]
    batches[2][3] = forged(batches[2][3])
    results = await asyncio.gather(*(verifier.check(b) for b in batches))
    assert results == [[not (n == 2 and i == 3) for i in range(12)] for n in range(6)]


async def test_a_big_check_is_split_across_the_processes(verifier: ProcessVerifier) -> None:
    txs = signed(SPLIT_AT + 9)
    txs[5] = forged(txs[5])
    txs[-1] = forged(txs[-1])  # in the second process's half
    assert await verifier.verify(txs) == [i not in (5, len(txs) - 1) for i in range(len(txs))]


async def test_a_caller_that_gives_up_does_not_disturb_the_others(
    verifier: ProcessVerifier,
) -> None:
    tasks = [asyncio.create_task(verifier.check(signed(12))) for _ in range(6)]
    await asyncio.sleep(0)  # all six requests are on their way
    tasks[0].cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(done[0], asyncio.CancelledError)
    assert done[1:] == [[True] * 12] * 5


async def test_nothing_to_check(verifier: ProcessVerifier) -> None:
    assert await verifier.check([]) == []


async def test_checks_fail_clearly_once_the_verifiers_are_gone(verifier: ProcessVerifier) -> None:
    for process in verifier._processes:
        process.kill()
    with pytest.raises(VerifierGone):
        await verifier.verify(signed(12))
    with pytest.raises(VerifierGone):  # and at once from then on, nothing left waiting
        await verifier.verify(signed(12))

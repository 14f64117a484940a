"""Batch signature verification in worker processes.

Threads run libsodium in parallel, but the Python around every call (~19 us of a ~95 us check)
still takes the node's one GIL, which under batch load is the node's busiest lock: the event
loop and the SQLite writer need it too. Worker processes have GILs of their own; a batch costs
one round trip of ~300 bytes a transaction.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from backend.chain.transaction import Transaction
from backend.lifeline import die_with_parent

VERIFIER_NICENESS = 5
Item = tuple[bytes, bytes, bytes, str]  # public key, signing bytes, signature, sender


def _start_worker(parent: int) -> None:
    die_with_parent(parent)
    # The event loop and the database writer are the serial path every transaction takes;
    # when the cores are short, they go first and the verifiers take the time left over.
    if hasattr(os, "nice"):  # not on Windows
        os.nice(VERIFIER_NICENESS)


def verify_items(items: list[Item]) -> list[bool]:
    from backend.chain.crypto import address_from_public_key, verify

    return [
        len(pk) == 32
        and len(sig) == 64
        and address_from_public_key(pk) == sender
        and verify(pk, msg, sig)
        for pk, msg, sig, sender in items
    ]


class ProcessVerifier:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        # spawn: the node has threads and an event loop running, which fork does not copy safely
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    async def warm_up(self) -> None:
        """Start the workers now rather than on the first batch (a spawn takes ~0.3 s)."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._pool, verify_items, []) for _ in range(self.workers))
        )

    async def verify(self, txs: list[Transaction]) -> list[bool]:
        items = [(tx.public_key, tx.message, tx.signature, tx.sender) for tx in txs]
        size = -(-len(items) // self.workers)
        loop = asyncio.get_running_loop()
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(self._pool, verify_items, items[i : i + size])
                for i in range(0, len(items), size)
            )
        )
        return [ok for part in parts for ok in part]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

"""Transfers signed ahead in an OS thread of the worker's own, while its users send.

Signing on the users' greenlets stalled every user of the worker: the node answers a group of
transfers at once, and each answer's user signing its next batch held back the others' next
sends (32 signatures, ~1.4 ms, in the path of every user waiting behind it). libsodium's
signature, most of a transfer's signing cost, runs without the GIL (cffi releases it), so a
thread signs beside the loop on a core the loop is not using. 32 users on 2 cores shared with
the node, 3 rounds each alternating with the raw client: transfers included a second, median,
0.74x the raw client's with signing on the users' greenlets, 0.81x with it here.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from gevent.threadpool import ThreadPool

from app.signing import TransferBodies

BATCH = 64  # transfers a thread job signs
LOW = 32  # a user left with this many asks for the next batch

Signed = tuple[bytes, str]  # a transfer's body and its hash
_POOL: ThreadPool | None = None


def pool() -> ThreadPool:
    """The worker's one signing thread, started by its first sending user."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPool(1)
    return _POOL


class SignAhead:
    """One user's transfers, signed a batch ahead of its sends. Only the batch being signed
    touches the signer's nonce, so every change to it waits for that batch first."""

    def __init__(self, bodies: TransferBodies) -> None:
        self.bodies = bodies
        self.ready: deque[Signed] = deque()
        self.job: Any = None
        self._ask()

    def _sign(self, count: int) -> list[Signed]:  # in the thread
        take = self.bodies.next
        return [take() for _ in range(count)]

    def next(self) -> Signed:
        if not self.ready:  # the thread fell behind the sends, or signs again from a nonce
            self._ask()
            self.settle()
        if len(self.ready) <= LOW:
            self._ask()
        return self.ready.popleft()

    def _ask(self) -> None:
        if self.job is None:
            self.job = pool().spawn(self._sign, BATCH)

    def settle(self) -> None:
        """Wait for the batch being signed, and keep it."""
        if self.job is not None:
            batch = self.job.get()  # a user stopped while waiting asks again in give_back
            self.job = None
            self.ready.extend(batch)

    def give_back(self) -> None:
        """What was signed and never sent gives its nonces back, so the next user of this
        sender goes on from the first of them: a gap would hold its transfers back for ever."""
        self.settle()
        self.bodies.signer.nonce -= len(self.ready)
        self.ready.clear()

    def restart_at(self, nonce: int) -> None:
        """Sign again from `nonce` (the node's pending nonce after a rejected one)."""
        self.settle()
        self.ready.clear()
        self.bodies.signer.nonce = nonce

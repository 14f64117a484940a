"""Signature verification in helper processes, fed by the event loop over sockets.

Threads run libsodium in parallel, but the Python around every call (~19 us of a ~95 us check)
still takes the node's one GIL, which under load is the node's busiest lock. Helper processes
have GILs of their own; a check costs ~300 bytes a transaction over a socket the loop reads
itself (backend/async_link.py), with no executor threads taking the GIL in between.
"""

from __future__ import annotations

import asyncio
import functools
import socket
from collections.abc import Callable
from typing import Any

from backend.async_link import AsyncLink
from backend.chain.transaction import Transaction
from backend.child_link import encode, how_it_stopped, spawn, stop_process
from backend.node.verify_worker import verifier_main

# A check this big is split across the processes; a smaller one goes whole to the least busy.
SPLIT_AT = 64


def verify_here(txs: list[Transaction]) -> list[bool]:
    return [tx.signature_valid() for tx in txs]


class VerifierGone(Exception):
    """A verifier process stopped."""


class ProcessVerifier:
    def __init__(
        self, workers: int, inline: int, on_gone: Callable[[str], None] | None = None
    ) -> None:
        """`inline`: up to this many signatures are checked on the loop, where they cost less
        than the round trip to a helper process. `on_gone` hears if one of them dies."""
        self.workers = workers
        self.inline = inline
        self._on_gone = on_gone
        self._processes: list[Any] = []
        self._socks: list[socket.socket] = []
        self._links: list[AsyncLink] = []
        self._starting: asyncio.Future[None] | None = None

    async def warm_up(self) -> None:
        """Start the processes now rather than on the first check (a spawn takes ~0.3 s)."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        # Starting a process takes a few ms (its imports run in it, after): done right here, so
        # a node's helpers all exist by the time it prints its ready line.
        for n in range(self.workers):
            process, sock = spawn(verifier_main, f"chaindeck-verifier-{n + 1}")
            self._processes.append(process)
            self._socks.append(sock)
        for process, sock in zip(self._processes, self._socks, strict=True):
            describe = functools.partial(how_it_stopped, process, "a signature verifier process")
            link = AsyncLink(sock, VerifierGone, describe, self._on_gone)
            await link.start()
            self._links.append(link)

    async def check(self, txs: list[Transaction]) -> list[bool]:
        """Whether each signature verifies: on the loop for a few, in the helpers for more.

        Gathering the small submissions of one loop turn (32 clients in flight send ~16 at
        once) into one helper request measured x0.95 at 32 in flight and x0.82 one by one
        (tests/bench/ab_node_throughput.py, medians of 4): the round trip costs the waiting
        requests more than the checks cost the loop."""
        if len(txs) <= self.inline:
            return verify_here(txs)
        return await self.verify(txs)

    async def verify(self, txs: list[Transaction]) -> list[bool]:
        """Check `txs` in the helper processes."""
        await self.warm_up()
        items = [(tx.public_key, tx.message, tx.signature, tx.sender) for tx in txs]
        if len(items) < SPLIT_AT:
            link = min(self._links, key=lambda lk: lk.busy)
            result: list[bool] = await link.request(encode("verify", items))
            return result
        size = -(-len(items) // len(self._links))
        parts = await asyncio.gather(
            *(
                link.request(encode("verify", items[i : i + size]))
                for link, i in zip(self._links, range(0, len(items), size), strict=False)
            )
        )
        return [ok for part in parts for ok in part]

    async def close(self) -> None:
        if self._starting is not None:  # a spawn under way finishes first, then stops in order
            await asyncio.gather(self._starting, return_exceptions=True)
        await asyncio.gather(*(link.close() for link in self._links))
        for sock in self._socks[len(self._links) :]:  # never linked: EOF tells it to stop
            sock.close()
        for process in self._processes:
            await asyncio.to_thread(stop_process, process)

"""Polls the members of one cluster once a second (status, latency, lag behind the best, block
times, the process's CPU and memory), and follows each member's blocks to stamp when each block
reached it (propagation). Qt-free: the Fleet tab's service, the health history and alerts read
it through FleetService; a command or a deploy gate can run it as it is."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from app.clients.block_stream import Block, BlockStream
from app.clients.errors import NodeError
from app.clients.kinds import NodeClient as Client
from app.clients.kinds import client_for
from app.clients.native import NativeClient
from app.clients.probe import probe
from app.clusters.cluster import ClusterMember
from app.fleet.member import BLOCK_TIMES, MemberState
from app.health.process_metrics import LocalProcess, RemoteProcess, parse_process_metrics
from app.tasks import cancel_all, spawn

log = logging.getLogger("chaindeck.fleet")

POLL_S = 1.0
# A member that has not answered for this long is down (issue: "marked down within 5 s").
DOWN_AFTER_S = 3.0
METRICS_EVERY = 5  # polls between reads of a remote node's /metrics


class FleetPoller:
    """One cluster: a state per member, updated every round until cancelled."""

    def __init__(self, members: list[ClusterMember]) -> None:
        self.states = [MemberState(m.name, m.url, role=m.role, pid=m.pid) for m in members]
        self._pollers = [
            MemberPoller(m, s, known=m.pid is not None)
            for m, s in zip(members, self.states, strict=True)
        ]

    async def run(self, on_round: Callable[[list[MemberState]], Any]) -> None:
        """Poll every POLL_S until cancelled; `on_round(states)` after each round."""
        try:
            rounds = 0
            while True:
                started = time.monotonic()
                await self.poll_once(rounds)
                on_round(self.states)
                rounds += 1
                await asyncio.sleep(max(0.05, POLL_S - (time.monotonic() - started)))
        finally:
            await self.close()

    async def poll_once(self, round_no: int = 0) -> list[MemberState]:
        await asyncio.gather(*(p.poll(round_no) for p in self._pollers))
        compare(self.states)
        return self.states

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in self._pollers), return_exceptions=True)


def compare(states: list[MemberState]) -> None:
    """Blocks behind the best, and how late each node saw its own newest block compared
    with the first node that saw it. (Comparing at the best height instead would leave
    every follower blank on a fast chain: by the time it has that block, there is a newer.)
    """
    live = [s for s in states if s.state != "down" and s.height >= 0]
    if not live:
        return
    # Heights as of now, not as of each node's poll: polls land up to a second apart, and
    # on a chain sealing 30 blocks a second that alone would read as 15 blocks behind.
    # A node's feed tells each block as it arrives, so its newest is known to the moment.
    now = {id(s): max(s.height, max(s.first_seen, default=-1)) for s in live}
    best = max(now.values())
    for s in states:
        s.behind = best - now.get(id(s), s.height) if s.height >= 0 else 0
        mine = s.first_seen.get(s.height)
        firsts = [o.first_seen[s.height] for o in live if s.height in o.first_seen]
        s.propagation_ms = (mine - min(firsts)) * 1000 if mine is not None and firsts else None


class MemberPoller:
    """One member: its client (native or Ethereum, probed for saved clusters), its block feed,
    and one poll a round."""

    def __init__(self, member: ClusterMember, state: MemberState, known: bool) -> None:
        self.member = member
        self.state = state
        self.client: Client | None = None
        self._kind: str | None = "native" if known else None
        self._feed: list[asyncio.Task[Any]] = []
        self._local = LocalProcess(member.pid) if member.pid else None
        self._remote = RemoteProcess()
        self._last_round = time.monotonic()

    async def close(self) -> None:
        await cancel_all(self._feed)
        if self.client is not None:
            await self.client.close()

    async def _connect(self) -> Client | None:
        """The client, once the member's protocol is known (a saved node may be down now)."""
        if self.client is not None:
            return self.client
        if self._kind is None:
            try:
                self._kind = (await probe(self.member.url)).kind
            except NodeError as exc:
                self._mark_silent(exc)
                return None
        m = self.member
        self.client = client_for(m.url, self._kind, m.username, m.password)
        self.state.kind = self._kind
        spawn(self._feed, self._follow_blocks(self.client), f"fleet-feed {m.name}")
        return self.client

    async def _follow_blocks(self, client: Client) -> None:
        """When each block reached this node, to the millisecond: the propagation column
        compares these across nodes (a 1 s poll alone would only say 'within a second')."""
        state = self.state
        # Down or restarting: the poll marks it, the stream reconnects and back-fills.
        async for item in BlockStream(client, retry_delays=(2.0,)):
            if isinstance(item, Block) and item.height not in state.first_seen:
                state.first_seen[item.height] = time.monotonic()
                state.tx_seen += int(item.block.get("txCount", 0))

    def _mark_silent(self, exc: Exception) -> None:
        state = self.state
        state.outcomes.append(False)
        if time.monotonic() - state.last_answer > DOWN_AFTER_S or not state.answered:
            state.state = "down"
            state.problem = str(exc) or "no answer"

    async def poll(self, round_no: int) -> None:
        state = self.state
        state.polls += 1
        now = time.monotonic()
        elapsed, self._last_round = max(now - self._last_round, 1e-3), now
        state.tx_per_s, state.tx_seen = state.tx_seen / elapsed, 0
        client = await self._connect()
        if client is None:
            return
        try:
            snap = await asyncio.wait_for(client.snapshot(), DOWN_AFTER_S)
        except (NodeError, TimeoutError) as exc:
            self._mark_silent(exc)
            return
        now = time.monotonic()
        state.answered += 1
        state.last_answer = now
        state.outcomes.append(True)
        state.latency_ms = snap.latency_ms
        state.latencies.append(snap.latency_ms)
        state.version = snap.version
        state.role = snap.role or state.role or snap.kind
        height = snap.height
        if height > state.height >= 0:
            if state.last_block_ms:
                state.block_times.append((now * 1000 - state.last_block_ms) / 1000)
                del state.block_times[:-BLOCK_TIMES]
            state.last_block_ms = int(now * 1000)
        elif state.height < 0:
            state.last_block_ms = int(now * 1000)
        if height < state.height:
            state.first_seen.clear()  # a node reset to a shorter chain: its old heights are gone
        for h in range(max(state.height + 1, height - 50), height + 1):
            state.first_seen.setdefault(h, now)
        if len(state.first_seen) > 200:
            for h in sorted(state.first_seen)[:-100]:
                del state.first_seen[h]
        state.height = height
        state.latest_hash = snap.latest_hash
        state.peers = snap.peers
        state.mempool = snap.mempool
        state.problem = snap.problem
        state.state = "problem" if state.problem else "up"
        await self._sample_process(client, round_no)

    async def _sample_process(self, client: Client, round_no: int) -> None:
        if self._local is not None:
            self.state.take_process(await asyncio.to_thread(self._local.read))
        elif isinstance(client, NativeClient) and round_no % METRICS_EVERY == 0:
            try:
                text = await asyncio.wait_for(client.metrics_text(), DOWN_AFTER_S)
            except (NodeError, TimeoutError):
                return  # a private node's /metrics needs a token: CPU and memory stay unknown
            figures = parse_process_metrics(text)
            self.state.take_process(self._remote.take(time.monotonic(), figures))

"""Clusters: saved groups of node connections and local clusters the app starts.

Every saved cluster and every running local one is watched all the time, not only the one on
screen: the health history and the alerts need every node. So is the embedded devnet while it
runs, as a cluster of one named DEVNET that the Fleet tab does not list. Each member is polled
once a second (status, latency, lag behind the best, block times, its process's CPU and memory)
and its block feed stamps when each block reached it (propagation).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app import credentials
from app.clients.block_stream import Block, BlockStream
from app.clients.errors import NodeError
from app.clients.kinds import NodeClient as Client
from app.clients.kinds import client_for
from app.clients.native import NativeClient
from app.clients.probe import probe
from app.health.process_metrics import LocalProcess, RemoteProcess, parse_process_metrics
from app.jobs.embedded_node import DevnetSettings, NodeStartError, ReadyNode
from app.jobs.local_cluster import ClusterMember, LocalCluster
from app.paths import AppPaths
from app.services.connections_service import DEVNET, ProfileError, check_profile
from app.services.fleet_member import BLOCK_TIMES, MemberState
from app.storage.clusters import LOCAL, SAVED, ClusterStore
from app.targets import cluster_credential_key
from app.tasks import cancel_all, spawn

if TYPE_CHECKING:
    from app.services.devnet_service import DevnetService

log = logging.getLogger("chaindeck.fleet")

NAME_RE = re.compile(r"^[\w .-]{1,40}$")
POLL_S = 1.0
# A member that has not answered for this long is down (issue: "marked down within 5 s").
DOWN_AFTER_S = 3.0
METRICS_EVERY = 5  # polls between reads of a remote node's /metrics


def _name_problem(name: str) -> str | None:
    """What is wrong with `name` as a cluster's name, or None."""
    if not NAME_RE.match(name):
        return "1 to 40 letters, digits, spaces, dots or dashes"
    if name == DEVNET:
        return f"“{DEVNET}” is the app's own devnet"
    return None


class FleetService(QObject):
    clustersChanged = Signal(object)  # the list of cluster rows
    clusterStarted = Signal(str)  # a local cluster is up
    clusterStopped = Signal(str)
    clusterFailed = Signal(str, str)  # cluster, why (for the user)
    fleetUpdated = Signal(str, object)  # cluster, list[MemberState], once a poll round

    def __init__(
        self,
        store: ClusterStore,
        paths: AppPaths,
        settings: DevnetSettings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.paths = paths
        self.settings = settings
        self.clusters: list[dict[str, Any]] = store.all_sync()
        self.local: dict[str, LocalCluster] = {}
        self.states: dict[str, list[MemberState]] = {}
        self.selected: str | None = None
        self._monitoring = False
        self._tasks: list[asyncio.Task[Any]] = []

    # -- clusters ---------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [c["name"] for c in self.clusters]

    def cluster(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.clusters if c["name"] == name), None)

    async def save(self, name: str, urls: list[str], username: str, password: str) -> None:
        """A saved cluster of remote nodes. Raises ProfileError naming what to fix."""
        name = name.strip()
        problem = _name_problem(name)
        if problem:
            raise ProfileError(f"name: {problem}")
        existing = self.cluster(name)
        if existing is not None and existing["kind"] == LOCAL:
            raise ProfileError(f"name: “{name}” is a local cluster")
        cleaned = [check_profile("member", url) for url in urls if url.strip()]
        if not cleaned:
            raise ProfileError("nodes: give at least one node URL")
        if len(set(cleaned)) != len(cleaned):
            raise ProfileError("nodes: a URL is listed twice")
        if password:
            credentials.store_password(cluster_credential_key(name), password)
        await self.store.save(
            {
                "name": name,
                "kind": SAVED,
                "urls": cleaned,
                "username": username.strip(),
                "followers": len(cleaned) - 1,
            }
        )
        await self._reload()
        await self._unwatch(name)  # its members may have changed
        if self._monitoring or self.selected == name:
            self._watch_cluster(name)

    async def delete(self, name: str) -> None:
        await self.stop_local(name)
        await self._unwatch(name)
        await self.store.delete(name)
        credentials.forget_password(cluster_credential_key(name))
        await self._reload()

    async def _reload(self) -> None:
        self.clusters = await self.store.all()
        self.clustersChanged.emit(self.clusters)

    def members(self, name: str) -> list[ClusterMember]:
        """The nodes of a cluster with the credentials to act on them."""
        cluster = self.cluster(name)
        if cluster is None:
            raise ProfileError(f"no cluster named “{name}”")
        running = self.local.get(name)
        if running is not None and running.members:
            return list(running.members)
        if cluster["kind"] == LOCAL:
            raise ProfileError(f"the local cluster “{name}” is not running; start it first")
        username = cluster.get("username") or None
        password = credentials.load_password(cluster_credential_key(name)) if username else None
        return [
            ClusterMember(f"{name} {i + 1}", url, "", username, password)
            for i, url in enumerate(cluster["urls"])
        ]

    # -- local clusters ---------------------------------------------------------------------
    async def start_local(self, name: str, followers: int) -> list[ClusterMember] | None:
        """Start (or restart) a local cluster; None and `clusterFailed` when it cannot."""
        name = name.strip()
        problem = _name_problem(name)
        if problem:
            self.clusterFailed.emit(name, f"name: {problem}")
            return None
        existing = self.cluster(name)
        if existing is not None and existing["kind"] != LOCAL:
            self.clusterFailed.emit(name, f"“{name}” is a saved cluster of remote nodes")
            return None
        await self.stop_local(name)
        job = LocalCluster(
            name,
            self.paths.root / "clusters" / name.replace(" ", "_"),
            self.paths.logs,
            followers,
            self.settings,
            self._member_exited,
        )
        try:
            members = await job.start()
        except NodeStartError as exc:
            self.clusterFailed.emit(name, str(exc))
            return None
        self.local[name] = job
        await self.store.save(
            {
                "name": name,
                "kind": LOCAL,
                "urls": [m.url for m in members],
                "username": "operator",
                "followers": followers,
            }
        )
        await self._reload()
        if self._monitoring or self.selected == name:
            self._watch_cluster(name)
        self.clusterStarted.emit(name)
        return members

    def _member_exited(self, member: str, code: int, tail: str) -> None:
        if code < 0:
            self.clusterFailed.emit(member, f"was killed (signal {-code})")
            return
        last = tail.strip().splitlines()[-1] if tail.strip() else ""
        self.clusterFailed.emit(member, f"exited ({code}){': ' + last if last else ''}")

    async def stop_local(self, name: str) -> None:
        job = self.local.pop(name, None)
        if job is not None:
            await self._unwatch(name)  # stopped on purpose: not "down"
            await job.stop()
            self.clusterStopped.emit(name)

    def is_running(self, name: str) -> bool:
        job = self.local.get(name)
        return job is not None and job.running

    # -- watching ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.monitor()

    def monitor(self) -> None:
        """Watch every cluster that can answer: saved ones, and local ones that are running."""
        self._monitoring = True
        for cluster in self.clusters:
            if cluster["kind"] != LOCAL or self.is_running(cluster["name"]):
                self._watch_cluster(cluster["name"])

    def watch(self, name: str | None) -> None:
        """The cluster on screen: make sure it is watched (the others are watched anyway)."""
        self.selected = name
        if name is not None:
            self._watch_cluster(name)

    def _watch_cluster(self, name: str) -> None:
        if any(t.get_name() == f"fleet-poll {name}" for t in self._tasks):
            return
        spawn(self._tasks, self._poll_cluster(name), f"fleet-poll {name}")

    async def _unwatch(self, name: str) -> None:
        await cancel_all([t for t in self._tasks if t.get_name() == f"fleet-poll {name}"])
        self.states.pop(name, None)

    def follow_devnet(self, devnet: DevnetService) -> None:
        """Watch the embedded devnet whenever it runs (see watch_devnet)."""
        devnet.started.connect(self._devnet_started)
        devnet.stateChanged.connect(self._devnet_state)

    def _devnet_started(self, ready: ReadyNode) -> None:
        spawn(self._tasks, self.watch_devnet(ready), "fleet-devnet")

    def _devnet_state(self, state: str) -> None:
        if state == "stopped":
            spawn(self._tasks, self.watch_devnet(None), "fleet-devnet")

    async def watch_devnet(self, ready: ReadyNode | None) -> None:
        """Watch the embedded devnet that is now running, or stop watching it (None: stopped on
        purpose, so not "down"). A crashed devnet stays watched, and shows down, until then."""
        await self._unwatch(DEVNET)
        if ready is None:
            return
        member = ClusterMember(
            DEVNET, ready.url, ready.role, ready.username, ready.password, pid=ready.pid
        )
        spawn(self._tasks, self._poll(DEVNET, [member]), f"fleet-poll {DEVNET}")

    async def _poll_cluster(self, name: str) -> None:
        try:
            members = self.members(name)
        except ProfileError as exc:
            self.fleetUpdated.emit(name, [])
            log.info("not polling %s: %s", name, exc)
            return
        await self._poll(name, members)

    async def _poll(self, name: str, members: list[ClusterMember]) -> None:
        states = [MemberState(m.name, m.url, role=m.role, pid=m.pid) for m in members]
        self.states[name] = states
        pollers = [
            _MemberPoller(m, s, known=m.pid is not None)
            for m, s in zip(members, states, strict=True)
        ]
        try:
            rounds = 0
            while True:
                started = time.monotonic()
                await asyncio.gather(*(p.poll(rounds) for p in pollers))
                self._compare(states)
                self.fleetUpdated.emit(name, states)
                rounds += 1
                await asyncio.sleep(max(0.05, POLL_S - (time.monotonic() - started)))
        finally:
            await asyncio.gather(*(p.close() for p in pollers), return_exceptions=True)

    @staticmethod
    def _compare(states: list[MemberState]) -> None:
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

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        for name in list(self.local):
            await self.stop_local(name)


class _MemberPoller:
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
            self.state.take_process(self._local.read())
        elif isinstance(client, NativeClient) and round_no % METRICS_EVERY == 0:
            try:
                text = await asyncio.wait_for(client.metrics_text(), DOWN_AFTER_S)
            except (NodeError, TimeoutError):
                return  # a private node's /metrics needs a token: CPU and memory stay unknown
            figures = parse_process_metrics(text)
            self.state.take_process(self._remote.take(time.monotonic(), figures))

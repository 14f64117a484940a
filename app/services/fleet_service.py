"""Clusters: saved groups of node connections and local clusters the app starts, each member
polled once a second for the fleet view (status, latency, lag behind the best, block times).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from app import credentials
from app.clients.errors import NodeError
from app.clients.native import NativeClient
from app.jobs.embedded_node import DevnetSettings, NodeStartError
from app.jobs.local_cluster import ClusterMember, LocalCluster
from app.paths import AppPaths
from app.services.connections_service import ProfileError, check_profile
from app.storage.clusters import LOCAL, SAVED, ClusterStore
from app.tasks import cancel_all, spawn

log = logging.getLogger("chaindeck.fleet")

NAME_RE = re.compile(r"^[\w .-]{1,40}$")
POLL_S = 1.0
# A member that has not answered for this long is down (issue: "marked down within 5 s").
DOWN_AFTER_S = 3.0
BLOCK_TIMES = 20  # recent block intervals kept per member for the average


def _credential_key(cluster: str) -> str:
    return f"cluster:{cluster}"


@dataclass
class MemberState:
    """What the fleet view shows of one member, updated by its poller."""

    name: str
    url: str
    kind: str = "native"
    version: str = ""
    role: str = ""
    height: int = -1
    latest_hash: str = ""
    peers: int = 0
    mempool: int = 0
    latency_ms: float = 0.0
    last_block_ms: int = 0
    state: str = "unknown"  # up | down | unknown | problem
    problem: str = ""
    behind: int = 0
    propagation_ms: float | None = None
    polls: int = 0
    answered: int = 0
    last_answer: float = 0.0
    block_times: list[float] = field(default_factory=list)
    first_seen: dict[int, float] = field(default_factory=dict)

    @property
    def uptime_pct(self) -> float:
        return 100.0 * self.answered / self.polls if self.polls else 0.0

    @property
    def avg_block_time(self) -> float | None:
        return sum(self.block_times) / len(self.block_times) if self.block_times else None


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
        self._watching: str | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._clients: dict[str, NativeClient] = {}

    # -- clusters ---------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [c["name"] for c in self.clusters]

    def cluster(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.clusters if c["name"] == name), None)

    async def save(self, name: str, urls: list[str], username: str, password: str) -> None:
        """A saved cluster of remote nodes. Raises ProfileError naming what to fix."""
        name = name.strip()
        if not NAME_RE.match(name):
            raise ProfileError("name: 1 to 40 letters, digits, spaces, dots or dashes")
        existing = self.cluster(name)
        if existing is not None and existing["kind"] == LOCAL:
            raise ProfileError(f"name: “{name}” is a local cluster")
        cleaned = [check_profile("member", url) for url in urls if url.strip()]
        if not cleaned:
            raise ProfileError("nodes: give at least one node URL")
        if len(set(cleaned)) != len(cleaned):
            raise ProfileError("nodes: a URL is listed twice")
        if password:
            credentials.store_password(_credential_key(name), password)
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

    async def delete(self, name: str) -> None:
        await self.stop_local(name)
        await self.store.delete(name)
        credentials.forget_password(_credential_key(name))
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
        password = credentials.load_password(_credential_key(name)) if username else None
        return [
            ClusterMember(f"{name} {i + 1}", url, "", username, password)
            for i, url in enumerate(cluster["urls"])
        ]

    # -- local clusters ---------------------------------------------------------------------
    async def start_local(self, name: str, followers: int) -> list[ClusterMember] | None:
        """Start (or restart) a local cluster; None and `clusterFailed` when it cannot."""
        name = name.strip()
        if not NAME_RE.match(name):
            self.clusterFailed.emit(name, "name: 1 to 40 letters, digits, spaces, dots or dashes")
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
            await job.stop()
            self.clusterStopped.emit(name)

    def is_running(self, name: str) -> bool:
        job = self.local.get(name)
        return job is not None and job.running

    # -- watching ---------------------------------------------------------------------------
    def watch(self, name: str | None) -> None:
        """Poll the members of one cluster (the one the fleet view shows), or none."""
        if name == self._watching:
            return
        self._watching = name
        for task in list(self._tasks):
            if task.get_name().startswith("fleet-poll"):
                task.cancel()
        if name is not None:
            spawn(self._tasks, self._poll_cluster(name), f"fleet-poll {name}")

    async def _poll_cluster(self, name: str) -> None:
        try:
            members = self.members(name)
        except ProfileError as exc:
            self.fleetUpdated.emit(name, [])
            log.info("not polling %s: %s", name, exc)
            return
        states = [MemberState(m.name, m.url, role=m.role) for m in members]
        self.states[name] = states
        clients = [NativeClient(m.url, m.username, m.password) for m in members]
        feeds: list[asyncio.Task[Any]] = []
        for client, state in zip(clients, states, strict=True):
            spawn(feeds, self._feed(client, state), f"fleet-feed {state.name}")
        try:
            while True:
                started = time.monotonic()
                await asyncio.gather(
                    *(self._poll(c, s) for c, s in zip(clients, states, strict=True))
                )
                self._compare(states)
                self.fleetUpdated.emit(name, states)
                await asyncio.sleep(max(0.05, POLL_S - (time.monotonic() - started)))
        finally:
            await cancel_all(feeds)
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    async def _feed(self, client: NativeClient, state: MemberState) -> None:
        """When each block reached this node, to the millisecond: the propagation column
        compares these across nodes (a 1 s poll alone would only say 'within a second')."""
        while True:
            try:
                async for message in client.subscribe(("blocks",)):
                    if message.get("type") == "new_block":
                        state.first_seen.setdefault(message["block"]["height"], time.monotonic())
            except NodeError as exc:  # down or restarting: the poll marks it; retry the feed
                log.debug("feed from %s closed: %s", state.name, exc)
            await asyncio.sleep(2.0)

    async def _poll(self, client: NativeClient, state: MemberState) -> None:
        state.polls += 1
        try:
            status = await asyncio.wait_for(client.status(), DOWN_AFTER_S)
        except (NodeError, TimeoutError) as exc:
            if time.monotonic() - state.last_answer > DOWN_AFTER_S or not state.answered:
                state.state = "down"
                state.problem = str(exc) or "no answer"
            return
        now = time.monotonic()
        state.answered += 1
        state.last_answer = now
        state.latency_ms = client.last_latency_ms
        state.version = f"chaindeck {status.get('version', '')}".strip()
        state.role = str(status.get("role", state.role))
        height = int(status.get("blockHeight", -1))
        if height > state.height >= 0:
            if state.last_block_ms:
                state.block_times.append((now * 1000 - state.last_block_ms) / 1000)
                del state.block_times[:-BLOCK_TIMES]
            state.last_block_ms = int(now * 1000)
        elif state.height < 0:
            state.last_block_ms = int(now * 1000)
        for h in range(max(state.height + 1, height - 50), height + 1):
            state.first_seen.setdefault(h, now)
        if len(state.first_seen) > 200:
            for h in sorted(state.first_seen)[:-100]:
                del state.first_seen[h]
        state.height = height
        state.latest_hash = str(status.get("latestHash", ""))
        state.peers = len(status.get("peers", []))
        state.mempool = int(status.get("mempoolSize", 0))
        state.problem = str(status.get("problem", ""))
        state.state = "problem" if state.problem else "up"

    @staticmethod
    def _compare(states: list[MemberState]) -> None:
        """Blocks behind the best, and how late each node saw the best's newest block."""
        live = [s for s in states if s.state != "down" and s.height >= 0]
        if not live:
            return
        best = max(s.height for s in live)
        for s in states:
            s.behind = best - s.height if s.height >= 0 else 0
            firsts = [o.first_seen[best] for o in live if best in o.first_seen]
            mine = s.first_seen.get(best)
            s.propagation_ms = (mine - min(firsts)) * 1000 if mine is not None and firsts else None

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        for name in list(self.local):
            await self.stop_local(name)

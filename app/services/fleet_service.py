"""Clusters: saved groups of node connections and local clusters the app starts.

Every saved cluster and every running local one is watched all the time, not only the one on
screen: the health history and the alerts need every node. So is the embedded devnet while it
runs, as a cluster of one named DEVNET that the Fleet tab does not list. Each member is polled
once a second (status, latency, lag behind the best, block times, its process's CPU and memory)
and its block feed stamps when each block reached it (propagation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app import credentials
from app.clusters.cluster import ClusterMember, LocalCluster
from app.clusters.folder import ClusterError, local_cluster_names
from app.fleet.member import MemberState
from app.fleet.poller import FleetPoller
from app.jobs.embedded_node import DevnetSettings, ReadyNode
from app.jobs.runner import target_key
from app.paths import AppPaths
from app.services.cluster_nodes import ClusterNodes
from app.services.connections_service import DEVNET, ProfileError, check_profile
from app.storage.clusters import LOCAL, SAVED, ClusterStore
from app.targets import cluster_credential_key
from app.tasks import cancel_all, spawn

if TYPE_CHECKING:
    from app.services.devnet_service import DevnetService

log = logging.getLogger("chaindeck.fleet")

NAME_RE = re.compile(r"^[\w .-]{1,40}$")
RESCAN_S = 2.0


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
        self.clusters: list[dict[str, Any]] = self._with_local(store.all_sync())
        self.started_here: set[str] = set()
        self.states: dict[str, list[MemberState]] = {}
        self.selected: str | None = None
        self._monitoring = False
        self._tasks: list[asyncio.Task[Any]] = []
        self.nodes = ClusterNodes(self)

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
        """A local cluster is stopped and leaves the list; its chains stay in its folder (a
        cluster started again under that name resumes them)."""
        await self.stop_local(name)
        self._local(name).folder.config_path.unlink(missing_ok=True)
        await self._unwatch(name)
        await self.store.delete(name)
        credentials.forget_password(cluster_credential_key(name))
        await self._reload()

    async def _reload(self) -> None:
        self.clusters = self._with_local(await self.store.all())
        self.clustersChanged.emit(self.clusters)

    def _with_local(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The saved clusters, and the local ones from their folders (rows an older version
        kept for its local clusters stay listed: starting one resumes its chain)."""
        local = {}
        for name in local_cluster_names(self.paths.clusters):
            with contextlib.suppress(ClusterError):
                members = self._local(name).members()
                local[name] = {
                    "name": name,
                    "kind": LOCAL,
                    "urls": [m.url for m in members],
                    "username": members[0].username if members else "",
                    "followers": len(members) - 1,
                }
        rows = [r for r in rows if r["name"] not in local] + list(local.values())
        return sorted(rows, key=lambda r: str(r["name"]).lower())

    def members(self, name: str) -> list[ClusterMember]:
        """The nodes of a cluster with the credentials to act on them."""
        cluster = self.cluster(name)
        if cluster is None:
            raise ProfileError(f"no cluster named “{name}”")
        if cluster["kind"] == LOCAL:
            job = self._local(name)
            if not job.running:
                raise ProfileError(f"the local cluster “{name}” is not running; start it first")
            return job.members()
        username = cluster.get("username") or None
        password = credentials.load_password(cluster_credential_key(name)) if username else None
        return [
            ClusterMember(f"{name} {i + 1}", url, "", username, password)
            for i, url in enumerate(cluster["urls"])
        ]

    # -- local clusters (app/clusters: the same ones `chaindeck cluster` runs) ----------------
    def _local(self, name: str) -> LocalCluster:
        return LocalCluster(self.paths.clusters, name)

    async def start_local(
        self, name: str, followers: int, block_time: float | None = None
    ) -> list[ClusterMember] | None:
        """Start (or restart) a local cluster; None and `clusterFailed` when it cannot. A new
        cluster takes the devnet's settings with a block time of its own when given; one that
        exists keeps what its nodes run unless a block time is given."""
        name = name.strip()
        problem = _name_problem(name)
        if problem:
            self.clusterFailed.emit(name, f"name: {problem}")
            return None
        existing = self.cluster(name)
        if existing is not None and existing["kind"] != LOCAL:
            self.clusterFailed.emit(name, f"“{name}” is a saved cluster of remote nodes")
            return None
        settings = self.settings
        if block_time is not None:
            settings = replace(settings, block_time=block_time)
        problems = settings.problems()
        if problems:
            self.clusterFailed.emit(name, "; ".join(problems))
            return None
        await self.stop_local(name)
        job = self._local(name)
        given = not job.exists or block_time is not None
        args = tuple(settings.arguments()) if given else ()
        try:
            await job.up(followers, args=args)
        except ClusterError as exc:
            self.clusterFailed.emit(name, str(exc))
            return None
        self.started_here.add(name)
        await self._unwatch(name)  # a rescan may have caught it half-started
        await self._reload()
        if self._monitoring or self.selected == name:
            self._watch_cluster(name)
        self.clusterStarted.emit(name)
        return job.members()

    async def stop_local(self, name: str) -> None:
        job = self._local(name)
        self.started_here.discard(name)
        if job.running:
            await self._unwatch(name)  # stopped on purpose: not "down"
            await job.down()
            self.clusterStopped.emit(name)

    def is_running(self, name: str) -> bool:
        return self._local(name).running

    def _local_state(self) -> dict[str, tuple[bool, tuple[str, ...]]]:
        """Each local cluster: whether it runs, and its members' URLs (a deployment or an `up`
        may change them)."""
        found = {}
        for name in local_cluster_names(self.paths.clusters):
            job = self._local(name)
            with contextlib.suppress(ClusterError):
                found[name] = (job.running, tuple(job.url(n) for n in job.nodes()))
        return found

    async def _follow_local_clusters(self) -> None:
        """Clusters started, stopped or changed from the shell (`chaindeck cluster`,
        `chaindeck deploy`) show here within seconds: their folders are the record, and a
        node's data dir lock says it runs."""
        seen = self._local_state()
        while True:
            await asyncio.sleep(RESCAN_S)
            now = await asyncio.to_thread(self._local_state)
            if now == seen:
                continue
            for name, (running, _urls) in now.items():
                if now[name] == seen.get(name):
                    continue
                await self._unwatch(name)
                if running and (self._monitoring or self.selected == name):
                    self._watch_cluster(name)
            seen = now
            await self._reload()

    # -- watching ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.monitor()
        spawn(self._tasks, self._follow_local_clusters(), "fleet-local-clusters")

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
            log.info("not polling %s: %s", name, exc)
            self.fleetUpdated.emit(name, self._stopped_states(name))
            return
        await self._poll(name, members)

    def _stopped_states(self, name: str) -> list[MemberState]:
        """A stopped local cluster's nodes, listed as stopped (not down: on purpose), so their
        rows stay to open their health history."""
        cluster = self.cluster(name)
        if cluster is None or cluster["kind"] != LOCAL:
            return []
        with contextlib.suppress(ClusterError):
            return [
                MemberState(m.name, m.url, role=m.role, state="stopped", problem="stopped")
                for m in self._local(name).members()
            ]
        return []

    async def _poll(self, name: str, members: list[ClusterMember]) -> None:
        poller = FleetPoller(members)
        self.states[name] = poller.states
        await poller.run(lambda states: self.fleetUpdated.emit(name, states))

    def watched_name(self, url: str) -> str | None:
        """The name under which a watched node's figures are kept (its health history)."""
        key = target_key(url)
        for states in self.states.values():
            for state in states:
                if target_key(state.url) == key:
                    return str(state.name)
        return None

    async def stop(self) -> None:
        """Clusters this window started stop with it; those the shell started keep running."""
        await cancel_all(self._tasks)
        for name in list(self.started_here):
            await self.stop_local(name)

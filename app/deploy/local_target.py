"""`target = "local"`: the nodes of a local cluster (app/clusters), restarted on another build or
other options. A node restarts on its own data dir, so what it accepted is still there; its
chain is backed up first (app/deploy/backup.py)."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path

from app.clusters.cluster import ClusterMember, LocalCluster, member_name
from app.clusters.folder import ClusterError, NodeRecord, NodeVersion
from app.deploy.backup import back_up
from app.deploy.steps import ADD, SWITCH, UPGRADE, NodeRef, Step
from app.deploy.target import Log, StepFailed, all_or_fail


class LocalTarget:
    def __init__(self, cluster: LocalCluster, backups: Path) -> None:
        self.local = cluster
        self.cluster = cluster.name
        self.backups = backups
        self._retired: dict[str, NodeRecord] = {}  # blue-green's old followers, while switched

    def nodes(self) -> list[NodeRef]:
        return [
            NodeRef(n.slug, member_name(self.cluster, n.slug), n.role, self.local.url(n))
            for n in self.local.nodes()
        ]

    def members(self) -> list[ClusterMember]:
        return self.local.members()

    def version_of(self, slug: str) -> NodeVersion:
        return self._record(slug).version

    def green_slugs(self) -> list[str]:
        nodes = self.local.nodes()
        taken = {n.slug for n in nodes}
        count = sum(1 for n in nodes if n.role != "producer")
        slugs: list[str] = []
        i = 1
        while len(slugs) < count:
            if f"follower-{i}" not in taken:
                slugs.append(f"follower-{i}")
            i += 1
        return slugs

    def _record(self, slug: str) -> NodeRecord:
        for node in self.local.nodes():
            if node.slug == slug:
                return node
        raise StepFailed(f"{member_name(self.cluster, slug)} is not in the cluster")

    async def check(self) -> str | None:
        if not self.local.exists:
            return f"no local cluster named “{self.cluster}”"
        stopped = [
            member_name(self.cluster, n.slug)
            for n in self.local.nodes()
            if self.local.pid(n.slug) is None
        ]
        if stopped:
            return f"not running: {', '.join(stopped)} (chaindeck cluster up {self.cluster})"
        return None

    # -- steps -------------------------------------------------------------------------------
    async def apply(self, step: Step, version: NodeVersion, log: Log) -> None:
        if step.action == UPGRADE:
            await self._restart_all({s: version for s in step.nodes}, log, backup=True)
        elif step.action == ADD:
            await self._add(step.nodes, version, log)
        elif step.action == SWITCH:
            await self._retire(step.nodes, log)

    async def undo(self, step: Step, previous: dict[str, NodeVersion], log: Log) -> None:
        if step.action == UPGRADE:
            await self._restart_all({s: previous[s] for s in step.nodes}, log, backup=False)
        elif step.action == ADD:
            await self._remove(step.nodes, log)
        elif step.action == SWITCH:
            await self._reinstate(step.nodes, log)

    async def _restart_all(
        self, versions: dict[str, NodeVersion], log: Log, *, backup: bool
    ) -> None:
        await all_or_fail(self._restart(s, v, log, backup) for s, v in versions.items())

    async def _restart(self, slug: str, version: NodeVersion, log: Log, backup: bool) -> None:
        name = member_name(self.cluster, slug)
        record = self._record(slug)
        log(f"{name}: stopping (pid {self.local.pid(slug)})")
        await self.local.stop_node(slug)
        if backup:
            copy = await back_up(self.local.folder.data_dir(slug), self.backups)
            if copy is not None:
                log(f"{name}: chain backed up to {copy}")
        record.version = version
        log(f"{name}: starting {version.describe()}")
        try:
            await self.local.start_node(record)
        except ClusterError as exc:
            log(f"{name}: did not start: {exc}")
            raise StepFailed(str(exc)) from None
        log(f"{name}: running at {self.local.url(self._record(slug))} (pid {self.local.pid(slug)})")

    async def _add(self, slugs: tuple[str, ...], version: NodeVersion, log: Log) -> None:
        records = [NodeRecord(s, "follower", 0, version) for s in slugs]
        for record in records:
            log(f"{member_name(self.cluster, record.slug)}: joining on {version.describe()}")
        await all_or_fail(self.local.start_node(r) for r in records)

    async def _remove(self, slugs: tuple[str, ...], log: Log) -> None:
        await asyncio.gather(*(self.local.stop_node(s) for s in slugs))
        nodes = [n for n in self.local.nodes() if n.slug not in slugs]
        self.local.folder.write(nodes)
        for slug in slugs:
            log(f"{member_name(self.cluster, slug)}: stopped and removed (its data dir is kept)")

    async def _retire(self, slugs: tuple[str, ...], log: Log) -> None:
        for slug in slugs:
            self._retired[slug] = self._record(slug)
        await asyncio.gather(*(self.local.stop_node(s) for s in slugs))
        self.local.folder.write([n for n in self.local.nodes() if n.slug not in slugs])
        for slug in slugs:
            log(f"{member_name(self.cluster, slug)}: stopped; the new followers serve now")

    async def _reinstate(self, slugs: tuple[str, ...], log: Log) -> None:
        records = [self._retired.pop(s) for s in slugs if s in self._retired]
        for record in records:
            log(f"{member_name(self.cluster, record.slug)}: starting again")
        await all_or_fail(self.local.start_node(r) for r in records)

    # -- words -------------------------------------------------------------------------------
    def _command(self, slug: str, version: NodeVersion) -> str:
        record = NodeRecord(slug, "producer" if slug == "producer" else "follower", 0, version)
        for node in self.local.nodes():
            if node.slug == slug:
                record = NodeRecord(slug, node.role, node.port, version)
        producer = self.local.url(self.local.producer())
        return shlex.join(self.local.command(record, producer, to_start=False))

    def describe(self, step: Step, version: NodeVersion) -> list[str]:
        if step.action == SWITCH:
            return [f"stop {member_name(self.cluster, s)}" for s in step.nodes]
        verb = "restart" if step.action == UPGRADE else "start"
        return [
            f"{verb} {member_name(self.cluster, s)}: {self._command(s, version)}"
            for s in step.nodes
        ]

    def describe_undo(self, step: Step, previous: dict[str, NodeVersion]) -> list[str]:
        if step.action == ADD:
            return [f"stop and remove {member_name(self.cluster, s)}" for s in step.nodes]
        if step.action == SWITCH:
            return [f"start {member_name(self.cluster, s)} again" for s in step.nodes]
        return [
            f"restart {member_name(self.cluster, s)}: {self._command(s, previous[s])}"
            for s in step.nodes
        ]

"""One node of a cluster, by the name the Fleet tab shows ("Local follower 2", "Pair 1"): found
among the clusters, acted on (stop, start, restart: local clusters only, their processes are
ours), its log, and the names the Node picker offers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.clusters.cluster import ClusterMember, LocalCluster, member_name
from app.clusters.folder import ClusterError, NodeRecord
from app.services.connections_service import ProfileError
from app.storage.clusters import LOCAL

if TYPE_CHECKING:
    from app.services.fleet_service import FleetService


class NodeActionError(Exception):
    """A node action that cannot be done; the message is for the user."""


class ClusterNodes:
    def __init__(self, fleet: FleetService) -> None:
        self.fleet = fleet

    def names(self) -> list[str]:
        """Every node of a saved cluster or of a running local one, cluster by cluster."""
        found = []
        for cluster in self.fleet.clusters:
            if cluster["kind"] == LOCAL and not self.fleet.is_running(cluster["name"]):
                continue
            try:
                found.extend(m.name for m in self.fleet.members(cluster["name"]))
            except ProfileError:  # stopped meanwhile: it offers no nodes
                continue
        return found

    def member(self, name: str) -> ClusterMember | None:
        for cluster in self.fleet.clusters:
            if not name.startswith(cluster["name"] + " "):
                continue
            if cluster["kind"] == LOCAL and not self.fleet.is_running(cluster["name"]):
                continue
            for member in self.fleet.members(cluster["name"]):
                if member.name == name:
                    return member
        return None

    def local(self, name: str) -> tuple[LocalCluster, NodeRecord] | None:
        """The local cluster and record of a node of a local cluster, running or not."""
        for cluster in self.fleet.clusters:
            if cluster["kind"] != LOCAL or not name.startswith(cluster["name"] + " "):
                continue
            job = LocalCluster(self.fleet.paths.clusters, cluster["name"])
            for record in job.nodes():
                if member_name(cluster["name"], record.slug) == name:
                    return job, record
        return None

    def _local_or_refuse(self, name: str) -> tuple[LocalCluster, NodeRecord]:
        found = self.local(name)
        if found is None:
            raise NodeActionError(
                f"{name} is not a node of a local cluster: ChainDeck starts and stops only the "
                "nodes it runs"
            )
        return found

    def log_path(self, name: str) -> Path:
        job, record = self._local_or_refuse(name)
        return job.folder.log(record.slug)

    async def stop(self, name: str) -> None:
        job, record = self._local_or_refuse(name)
        await job.stop_node(record.slug)

    async def start(self, name: str) -> None:
        job, record = self._local_or_refuse(name)
        if job.pid(record.slug):
            return
        try:
            await job.start_node(record)
        except ClusterError as exc:
            raise NodeActionError(str(exc)) from exc

    async def restart(self, name: str) -> None:
        await self.stop(name)
        await self.start(name)

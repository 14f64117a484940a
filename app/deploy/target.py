"""How a deployment changes nodes: the interface every target implements (`local` and `command`
here; `ssh` and `kubernetes` implement the same), so strategies, gates and rollback are written
once. A target changes the nodes of one step, undoes a step, and says in words what either will
do (the dry run)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from app.clusters.cluster import ClusterMember
from app.clusters.folder import NodeVersion
from app.deploy.steps import NodeRef, Step

Log = Callable[[str], None]


class StepFailed(Exception):
    """A step (or its undo) could not be carried out; the message says why, for the user."""


class DeployTarget(Protocol):
    cluster: str

    def nodes(self) -> list[NodeRef]:
        """The cluster's nodes now, producer first."""

    def members(self) -> list[ClusterMember]:
        """The same with the operator's credentials: what gates read."""

    def version_of(self, slug: str) -> NodeVersion: ...

    def green_slugs(self) -> list[str]:
        """The slugs blue-green's new followers take (an empty list where it cannot add)."""

    async def check(self) -> str | None:
        """Why the deployment cannot start (a node not running), or None."""

    async def apply(self, step: Step, version: NodeVersion, log: Log) -> None:
        """Carry out `step` (raises StepFailed)."""

    async def undo(self, step: Step, previous: dict[str, NodeVersion], log: Log) -> None:
        """Undo `step`; `previous`: what each node ran before (raises StepFailed)."""

    def describe(self, step: Step, version: NodeVersion) -> list[str]: ...

    def describe_undo(self, step: Step, previous: dict[str, NodeVersion]) -> list[str]: ...


class SavedClusterNodes:
    """Nodes someone else runs (a saved cluster), as the command and ssh targets see them:
    producer first, roles learned from their /health (`learn_roles`)."""

    _members: list[ClusterMember]
    _roles: dict[str, str]

    def nodes(self) -> list[NodeRef]:
        refs = [
            NodeRef(m.name, m.name, self._roles.get(m.name) or "", m.url) for m in self._members
        ]
        return sorted(refs, key=lambda r: r.role != "producer")

    def members(self) -> list[ClusterMember]:
        return list(self._members)


async def all_or_fail(work: Iterable[Awaitable[None]]) -> None:
    """Every node of a step at once; StepFailed naming each that did not make it."""
    results = await asyncio.gather(*work, return_exceptions=True)
    problems = [str(r) for r in results if isinstance(r, BaseException)]
    if problems:
        raise StepFailed("; ".join(problems))


async def learn_roles(members: list[ClusterMember], known: dict[str, str]) -> dict[str, str]:
    """The roles of a saved cluster's nodes (its rows do not say which produces), from their
    /health; a node down now is changed like a follower."""
    from app.clients.errors import NodeError
    from app.clients.native import NativeClient

    roles = dict(known)
    for member in members:
        if roles.get(member.name):
            continue
        client = NativeClient(member.url, member.username, member.password)
        try:
            roles[member.name] = str((await client.health()).get("role", "follower"))
        except NodeError:
            roles[member.name] = "follower"
        finally:
            await client.close()
    return roles

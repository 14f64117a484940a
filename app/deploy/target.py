"""How a deployment changes nodes: the interface every target implements (`local` and `command`
here; `ssh` and `kubernetes` implement the same), so strategies, gates and rollback are written
once. A target changes the nodes of one step, undoes a step, and says in words what either will
do (the dry run)."""

from __future__ import annotations

from collections.abc import Callable
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

"""A deployment as a job of the runner (app/jobs): it holds its cluster's producer like any run,
so a test or load run on that node waits for it (its own gate runs go alongside). Its events
are the engine's, wrapped as `DeployEvent`; `Finished` carries the summary."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.clusters.cluster import ClusterMember, LocalCluster
from app.clusters.folder import ClusterError
from app.deploy.command_target import CommandTarget
from app.deploy.engine import ABORTED, SUCCEEDED, Deployment
from app.deploy.gates import Approver, GateContext
from app.deploy.kubernetes_target import KubernetesTarget
from app.deploy.local_target import LocalTarget
from app.deploy.plan import Plan, PlanError
from app.deploy.ssh_target import SshTarget, worker_hosts
from app.deploy.target import DeployTarget
from app.jobs.events import Finished, JobEvent
from app.jobs.runner import JobRunner
from app.jobs.status import RunStatus

STATUS = {SUCCEEDED: RunStatus.SUCCEEDED, ABORTED: RunStatus.CANCELLED}


@dataclass(frozen=True)
class DeployEvent:
    event: dict[str, Any]  # the spec's JSON line (shared/spec/deploy.md), with its time "t"


def make_target(
    plan: Plan,
    clusters_root: Path,
    saved: dict[str, list[ClusterMember]],
    work_dir: Path,
) -> DeployTarget:
    """The plan's target on its cluster; PlanError naming `cluster` or `target` when the two
    do not go together."""
    if plan.target == "kubernetes":  # the StatefulSet is the cluster: its pods are the nodes
        return KubernetesTarget(plan, work_dir)
    local = LocalCluster(clusters_root, plan.cluster)
    if local.exists:
        if plan.target == "local":
            return LocalTarget(local, work_dir / "backups")
        if plan.target == "ssh":
            raise PlanError(
                f"target: “{plan.cluster}” is a local cluster, on this machine; "
                'target = "ssh" changes saved clusters of nodes on other machines'
            )
        try:
            members = local.members()
        except ClusterError as exc:
            raise PlanError(f"cluster: {exc}") from None
        return CommandTarget(plan, plan.cluster, members)
    if plan.cluster in saved:
        if plan.target == "local":
            raise PlanError(
                f"target: “{plan.cluster}” is a saved cluster of nodes ChainDeck does not start; "
                'target = "local" changes local clusters only (use "command")'
            )
        if plan.target == "ssh":
            return SshTarget(plan, plan.cluster, saved[plan.cluster])
        return CommandTarget(plan, plan.cluster, saved[plan.cluster])
    known = sorted({*saved, *_local_names(clusters_root)})
    hint = f" (known: {', '.join(known)})" if known else " (chaindeck cluster up NAME makes one)"
    raise PlanError(f"cluster: no cluster named “{plan.cluster}”{hint}")


def _local_names(root: Path) -> list[str]:
    from app.clusters.folder import local_cluster_names

    return local_cluster_names(root)


class DeployJob:
    kind = "deploy"
    run_id: int | None = None  # its row in the runs store, once whoever records it knows

    def __init__(
        self,
        plan: Plan,
        target: DeployTarget,
        runner: JobRunner,
        work_dir: Path,
        approve: Approver,
    ) -> None:
        self.plan = plan
        self.target = target
        self.work_dir = work_dir
        ctx = GateContext(
            target.members, runner, work_dir, approve, lambda _line: None, worker_hosts(plan)
        )
        self.deployment = Deployment(plan, target, ctx, self._queue_event)
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.summary: dict[str, Any] = {}

    @property
    def target_url(self) -> str:
        nodes = self.target.nodes()
        return next((n.url for n in nodes if n.role == "producer"), nodes[0].url if nodes else "")

    @property
    def label(self) -> str:
        return f"deployment “{self.plan.name}” on {self.target.cluster}"

    def _queue_event(self, event: dict[str, Any]) -> None:
        self._queue.put_nowait(event)

    async def prepare(self) -> str | None:
        return await self.target.check()

    async def run(self) -> AsyncIterator[JobEvent]:
        self.work_dir.mkdir(parents=True, exist_ok=True)

        async def drive() -> None:
            try:
                self.summary = await self.deployment.run()
            finally:
                self._queue.put_nowait(None)

        task = asyncio.create_task(drive(), name=f"deploy {self.plan.name}")
        try:
            while (event := await self._queue.get()) is not None:
                yield DeployEvent(event)
            await task  # its error, if it had one, is ours
        finally:
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
            await self.close()
        status = STATUS.get(self.summary["status"], RunStatus.FAILED)
        yield Finished(status, self.summary.get("reason", ""), self.summary)

    async def close(self) -> None:
        """What the target holds open (a kubernetes target's port-forwards)."""
        close = getattr(self.target, "close", None)
        if close is not None:
            await close()

    async def dry_run(self) -> tuple[str | None, list[dict[str, Any]]]:
        """Why it cannot run, or the steps it would take; nothing changes."""
        try:
            problem = await self.prepare()
            return problem, ([] if problem else self.deployment.dry_run())
        finally:
            await self.close()

    async def cancel(self) -> None:
        self.deployment.abort("aborted by the user")

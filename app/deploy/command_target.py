"""`target = "command"`: the plan's own `deploy` and `rollback` shell commands, run per node
(top level, or a node's own in `[nodes."NAME"]`), for nodes ChainDeck does not start itself. A
command learns its node from CHAINDECK_NODE, CHAINDECK_NODE_URL, CHAINDECK_NODE_ROLE,
CHAINDECK_CLUSTER, CHAINDECK_VERSION_EXECUTABLE and CHAINDECK_VERSION_ARGS; its output goes
into the step's log, and a command that exits non-zero fails the step."""

from __future__ import annotations

import asyncio
import shlex

from app.clusters.cluster import ClusterMember
from app.clusters.folder import NodeVersion
from app.deploy.plan import Plan
from app.deploy.steps import Step
from app.deploy.target import Log, SavedClusterNodes, StepFailed, learn_roles
from app.jobs import process_group

COMMAND_TIMEOUT = 600.0


class CommandTarget(SavedClusterNodes):
    def __init__(self, plan: Plan, cluster: str, members: list[ClusterMember]) -> None:
        self.plan = plan
        self.cluster = cluster
        self._members = members
        self._roles: dict[str, str] = {m.name: m.role for m in members}

    def version_of(self, slug: str) -> NodeVersion:
        return NodeVersion(None, ("(what the rollback command restores)",))

    def green_slugs(self) -> list[str]:
        return []

    async def check(self) -> str | None:
        unknown = [n for n in self.plan.nodes if n not in self._roles]
        if unknown:
            return f"nodes.{unknown[0]}: no node of “{self.cluster}” is named so"
        self._roles = await learn_roles(self._members, self._roles)
        return None

    def _command(self, slug: str, which: str) -> str:
        own = self.plan.nodes.get(slug)
        command = getattr(own, which, None) if own else None
        return str(command or getattr(self.plan, which))

    def _env(self, slug: str, version: NodeVersion) -> dict[str, str]:
        node = next(n for n in self.nodes() if n.slug == slug)
        return {
            "CHAINDECK_CLUSTER": self.cluster,
            "CHAINDECK_NODE": node.name,
            "CHAINDECK_NODE_URL": node.url,
            "CHAINDECK_NODE_ROLE": node.role,
            "CHAINDECK_VERSION_EXECUTABLE": version.executable or "",
            "CHAINDECK_VERSION_ARGS": shlex.join(version.args),
        }

    async def _run(self, slug: str, which: str, version: NodeVersion, log: Log) -> None:
        command = self._command(slug, which)
        log(f"{slug}: $ {command}")
        proc = await process_group.spawn(
            ["/bin/sh", "-c", command],
            env=self._env(slug, version),
            stderr=asyncio.subprocess.STDOUT,
        )
        assert proc.stdout is not None
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                while line := await proc.stdout.readline():
                    log(f"{slug}: {line.decode(errors='replace').rstrip()}")
                code = await proc.wait()
        except TimeoutError:
            await process_group.stop(proc, 2.0)
            raise StepFailed(f"{slug}: {which} did not end within {COMMAND_TIMEOUT:g} s") from None
        except BaseException:
            await process_group.stop(proc, 2.0)
            raise
        if code != 0:
            raise StepFailed(f"{slug}: {which} command exited {code}")

    async def apply(self, step: Step, version: NodeVersion, log: Log) -> None:
        for slug in step.nodes:
            await self._run(slug, "deploy", version, log)

    async def undo(self, step: Step, previous: dict[str, NodeVersion], log: Log) -> None:
        for slug in reversed(step.nodes):
            await self._run(slug, "rollback", self.plan_version, log)

    @property
    def plan_version(self) -> NodeVersion:
        return NodeVersion(self.plan.version.executable, tuple(self.plan.version.args))

    def describe(self, step: Step, version: NodeVersion) -> list[str]:
        return [f"{slug}: $ {self._command(slug, 'deploy')}" for slug in step.nodes]

    def describe_undo(self, step: Step, previous: dict[str, NodeVersion]) -> list[str]:
        return [f"{slug}: $ {self._command(slug, 'rollback')}" for slug in reversed(step.nodes)]

"""`target = "ssh"`: each node on its own host, reached over SSH (app/remote/ssh.py). A step
on a node: send the build (SFTP) or run the install command, stop the node, snapshot its data,
write its configuration (`node.env`), start it and wait for /health. Undo puts the previous
configuration back (and the snapshot, when the plan has a restore command) and starts it again.
Every remote command's output goes into the step's log.

On the host, in the node's `dir`: `node.env` holds CHAINDECK_VERSION_EXECUTABLE and
CHAINDECK_VERSION_ARGS (what a start command or a systemd unit's EnvironmentFile reads), builds
go to `builds/`, snapshots to `snapshots/`."""

from __future__ import annotations

import asyncio
import getpass
import posixpath
import shlex
import time
from pathlib import Path

from app.clusters.cluster import ClusterMember, answers, follower_args
from app.clusters.folder import NodeVersion
from app.deploy.plan import Plan
from app.deploy.plan_nodes import SshSettings, merged
from app.deploy.steps import UPGRADE, Step
from app.deploy.target import Log, SavedClusterNodes, StepFailed, all_or_fail, learn_roles
from app.remote.ssh import SshError, SshHost, SshSession

READY_WITHIN_S = 60.0
DEFAULT_DIR = "chaindeck"
HOST_BUILD = "chaindeck"  # the host's own, on its PATH: no build named and none before


def host_of(settings: SshSettings) -> SshHost:
    """How a node's host is reached, from its merged settings (a plan checked them)."""
    assert settings.host is not None
    return SshHost(
        host=settings.host,
        user=settings.user or getpass.getuser(),
        port=settings.port or 22,
        key=Path(settings.key).expanduser() if settings.key else None,
        host_key=settings.host_key,
        known_hosts=Path(settings.known_hosts).expanduser() if settings.known_hosts else None,
    )


def worker_hosts(plan: Plan) -> dict[str, SshHost]:
    """The hosts a load gate's `workers_on` may name: the ssh target's nodes."""
    if plan.target != "ssh":
        return {}
    return {name: host_of(merged(plan.ssh, own)) for name, own in plan.nodes.items()}


def parse_env(text: str) -> NodeVersion:
    """node.env as this target writes it → the version it describes."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip().startswith("CHAINDECK_VERSION_"):
            values[name.strip()] = " ".join(shlex.split(value))
    executable = values.get("CHAINDECK_VERSION_EXECUTABLE") or None
    return NodeVersion(executable, tuple(shlex.split(values.get("CHAINDECK_VERSION_ARGS", ""))))


def env_text(version: NodeVersion) -> str:
    return (
        f"CHAINDECK_VERSION_EXECUTABLE={shlex.quote(version.executable or HOST_BUILD)}\n"
        f"CHAINDECK_VERSION_ARGS={shlex.quote(shlex.join(version.args))}\n"
    )


class SshTarget(SavedClusterNodes):
    def __init__(self, plan: Plan, cluster: str, members: list[ClusterMember]) -> None:
        self.plan = plan
        self.cluster = cluster
        self._members = members
        self._roles: dict[str, str] = {m.name: m.role for m in members}
        self._env_before: dict[str, str | None] = {}  # node.env as found, to put back
        self._snapshots: dict[str, str] = {}  # slug → the snapshot this deployment took
        self._touched: set[str] = set()  # nodes something was changed on
        self._stamp = time.strftime("%Y%m%d-%H%M%S")

    # -- the cluster ---------------------------------------------------------------------------
    def version_of(self, slug: str) -> NodeVersion:
        text = self._env_before.get(slug)
        return (
            parse_env(text) if text else NodeVersion(HOST_BUILD, ("(as configured on the host)",))
        )

    def green_slugs(self) -> list[str]:
        return []

    def settings(self, slug: str) -> SshSettings:
        return merged(self.plan.ssh, self.plan.nodes.get(slug))

    def host(self, slug: str) -> SshHost:
        return host_of(self.settings(slug))

    def _dir(self, slug: str) -> str:
        return self.settings(slug).dir or DEFAULT_DIR

    async def check(self) -> str | None:
        """Every node has a host, and every host answers with a key we know: nothing changes
        before all of them do. Reads what each node runs now."""
        names = {m.name for m in self._members}
        unknown = [n for n in self.plan.nodes if n not in names]
        if unknown:
            return f"nodes.{unknown[0]}: no node of “{self.cluster}” is named so"
        missing = [m.name for m in self._members if m.name not in self.plan.nodes]
        if missing:
            return f'nodes."{missing[0]}": missing (every node of “{self.cluster}” needs its host)'
        self._roles.update(await learn_roles(self._members, self._roles))
        results = await asyncio.gather(
            *(self._read_env(m.name) for m in self._members), return_exceptions=True
        )
        problems = [str(r) for r in results if isinstance(r, BaseException)]
        return "; ".join(problems) or None

    async def _read_env(self, slug: str) -> None:
        async with SshSession(self.host(slug)) as ssh:
            self._env_before[slug] = await ssh.read_text(f"{self._dir(slug)}/node.env")

    # -- steps ---------------------------------------------------------------------------------
    def _variables(self, slug: str, version: NodeVersion) -> dict[str, str]:
        node = next(n for n in self.nodes() if n.slug == slug)
        producer = next((n.url for n in self.nodes() if n.role == "producer"), "")
        return {
            "CHAINDECK_CLUSTER": self.cluster,
            "CHAINDECK_NODE": node.name,
            "CHAINDECK_NODE_URL": node.url,
            "CHAINDECK_NODE_ROLE": node.role,
            "CHAINDECK_PRODUCER_URL": producer,
            "CHAINDECK_DIR": self._dir(slug),
            "CHAINDECK_SNAPSHOT": f"snapshots/{self._stamp}",
            "CHAINDECK_VERSION_EXECUTABLE": version.executable or HOST_BUILD,
            "CHAINDECK_VERSION_ARGS": shlex.join(version.args),
        }

    def _version_for(self, slug: str, version: NodeVersion, folder: str) -> NodeVersion:
        """The version as this node runs it: its build where the upload put it in `folder`
        (the node's dir), and a follower without the chain's options (it takes them from its
        producer)."""
        executable = version.executable
        upload = self.plan.version.upload
        if upload is not None:
            sent = posixpath.join(folder, "builds", Path(upload).name)
            executable = posixpath.join(sent, executable) if executable else sent
        elif executable is None:  # new options only: the build it runs now
            before = self._env_before.get(slug)
            executable = parse_env(before).executable if before else None
        role = next(n.role for n in self.nodes() if n.slug == slug)
        args = version.args if role == "producer" else follower_args(version.args)
        return NodeVersion(executable, args)

    def _commands(self, slug: str, which: str) -> str | None:
        s = self.settings(slug)
        if s.unit is not None and which in ("start", "stop"):
            return f"systemctl {which} {shlex.quote(s.unit)}"
        return getattr(s, which)

    async def _run(
        self, ssh: SshSession, slug: str, which: str, env: dict[str, str], log: Log
    ) -> None:
        command = self._commands(slug, which)
        if command:
            await ssh.run(f"cd {shlex.quote(self._dir(slug))} && {command}", log, env=env)

    async def apply(self, step: Step, version: NodeVersion, log: Log) -> None:
        if step.action != UPGRADE:
            raise StepFailed(f"the ssh target cannot {step.action} nodes")
        await all_or_fail(self._upgrade(s, version, log) for s in step.nodes)

    async def undo(self, step: Step, previous: dict[str, NodeVersion], log: Log) -> None:
        await all_or_fail(self._restore(s, log) for s in reversed(step.nodes))

    def _named(self, slug: str, log: Log) -> Log:
        return lambda line: log(f"{slug}: {line}")

    async def _upgrade(self, slug: str, version: NodeVersion, log: Log) -> None:
        log = self._named(slug, log)
        folder = self._dir(slug)
        try:
            async with SshSession(self.host(slug)) as ssh:
                await ssh.run(f"mkdir -p {shlex.quote(folder)}", log)
                mine = self._version_for(slug, version, await ssh.realpath(folder))
                env = self._variables(slug, mine)
                upload = self.plan.version.upload
                if upload is not None:
                    self._touched.add(slug)
                    await ssh.run(f"mkdir -p {shlex.quote(folder)}/builds", log)
                    await ssh.upload(Path(upload).expanduser(), f"{folder}/builds/", log)
                if self.settings(slug).install:
                    self._touched.add(slug)
                    await self._run(ssh, slug, "install", env, log)
                self._touched.add(slug)
                await self._run(ssh, slug, "stop", env, log)
                if self.settings(slug).snapshot:
                    await ssh.run(f"mkdir -p {shlex.quote(folder)}/snapshots", log)
                    await self._run(ssh, slug, "snapshot", env, log)
                    self._snapshots[slug] = env["CHAINDECK_SNAPSHOT"]
                log(f"node.env: {mine.describe()}")
                await ssh.write_text(f"{folder}/node.env", env_text(mine))
                await self._run(ssh, slug, "start", env, log)
                await self._ready(ssh, slug, env, log)
        except SshError as exc:
            raise StepFailed(f"{slug}: {exc}") from None

    async def _restore(self, slug: str, log: Log) -> None:
        log = self._named(slug, log)
        if slug not in self._touched:
            log("nothing was changed on this node")
            return
        before = self._env_before.get(slug)
        version = parse_env(before) if before else NodeVersion(HOST_BUILD)
        env = self._variables(slug, version)
        if slug in self._snapshots:
            env["CHAINDECK_SNAPSHOT"] = self._snapshots[slug]
        folder = self._dir(slug)
        try:
            async with SshSession(self.host(slug)) as ssh:
                await self._run(ssh, slug, "stop", env, log)
                if before is None:
                    log("node.env: none before this deployment")
                    await ssh.remove(f"{folder}/node.env")
                else:
                    log(f"node.env: back to {version.describe()}")
                    await ssh.write_text(f"{folder}/node.env", before)
                if slug in self._snapshots and self.settings(slug).restore:
                    await self._run(ssh, slug, "restore", env, log)
                await self._run(ssh, slug, "start", env, log)
                await self._ready(ssh, slug, env, log, restoring=True)
        except SshError as exc:
            raise StepFailed(f"{slug}: {exc}") from None
        self._touched.discard(slug)

    async def _ready(
        self, ssh: SshSession, slug: str, env: dict[str, str], log: Log, *, restoring: bool = False
    ) -> None:
        within = self.settings(slug).ready_within or READY_WITHIN_S
        if restoring:  # what ran before gets the time a start may take, however short the plan's
            within = max(within, READY_WITHIN_S)
        url = env["CHAINDECK_NODE_URL"]
        ok = await answers(url, timeout=within)
        await self._run(ssh, slug, "status", env, log)
        if not ok:
            raise StepFailed(f"{slug}: does not answer {url}/health {within:g} s after its start")
        log(f"answers at {url}")

    # -- words ---------------------------------------------------------------------------------
    def describe(self, step: Step, version: NodeVersion) -> list[str]:
        lines = []
        for slug in step.nodes:
            host = self.host(slug)
            mine = self._version_for(slug, version, self._dir(slug))
            said = [f"{slug} on {host.where}:"]
            if self.plan.version.upload:
                said.append(f"send {self.plan.version.upload},")
            for which in ("install", "stop", "snapshot"):
                if command := self._commands(slug, which):
                    said.append(f"$ {command};")
            said.append(f"node.env = {mine.describe()};")
            said.append(f"$ {self._commands(slug, 'start')}")
            lines.append(" ".join(said))
        return lines

    def describe_undo(self, step: Step, previous: dict[str, NodeVersion]) -> list[str]:
        lines = []
        for slug in reversed(step.nodes):
            restore = " and its snapshot" if self.settings(slug).restore else ""
            lines.append(
                f"{slug}: $ {self._commands(slug, 'stop')}; node.env as it was{restore}; "
                f"$ {self._commands(slug, 'start')}"
            )
        return lines

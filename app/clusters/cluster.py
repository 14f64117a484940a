"""A local cluster: a producer and N followers on this machine, each a background node
(app/clusters/background.py) recorded in the cluster's folder (app/clusters/folder.py), so the
window, `chaindeck cluster` and a deployment all see and control the same nodes."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from app.clusters import background
from app.clusters.folder import (
    PRODUCER,
    ClusterError,
    ClusterFolder,
    ClusterUsageError,
    NodeRecord,
    NodeVersion,
    name_problem,
)
from app.ports import port_free
from app.resources import node_command
from app.targets import RunTarget

MAX_FOLLOWERS = 16
HOST = "127.0.0.1"
# Options that are the chain's, not the node's: a follower takes them from its producer and
# refuses them on its command line (backend/cli.py).
CHAIN_OPTIONS = (
    "--block-time",
    "--accounts",
    "--dev-seed",
    "--balance",
    "--chain-id",
    "--difficulty",
)


@dataclass(frozen=True)
class ClusterMember:
    name: str
    url: str
    role: str
    username: str | None
    password: str | None
    kind: str = "native"
    pid: int | None = None


def member_targets(members: list[ClusterMember]) -> list[RunTarget]:
    return [RunTarget(m.url, "native", m.name, m.username, m.password) for m in members]


@dataclass(frozen=True)
class NodeStatus:
    name: str
    slug: str
    role: str
    url: str
    pid: int | None
    version: NodeVersion
    height: int | None = None  # None: it did not answer /health
    problem: str = ""

    @property
    def running(self) -> bool:
        return self.pid is not None


def follower_args(args: tuple[str, ...]) -> tuple[str, ...]:
    """`args` without the chain's options (and their values)."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        option = arg.split("=", 1)[0]
        if option in CHAIN_OPTIONS:
            skip = "=" not in arg
            continue
        kept.append(arg)
    return tuple(kept)


def member_name(cluster: str, slug: str) -> str:
    """`staging producer`, `staging follower 2`: the names the fleet view and targets use."""
    return f"{cluster} {slug.replace('-', ' ')}"


class LocalCluster:
    def __init__(self, clusters_root: Path, name: str, *, tied: bool = False) -> None:
        """`tied`: its nodes stop when this process ends (a pipeline's ephemeral chain)."""
        self.name = name
        self.folder = ClusterFolder(clusters_root, name)
        self.tied = tied

    @property
    def exists(self) -> bool:
        return self.folder.exists

    def nodes(self) -> list[NodeRecord]:
        return self.folder.read()

    def pid(self, slug: str) -> int | None:
        return background.lock_holder(self.folder.data_dir(slug))

    def url(self, record: NodeRecord) -> str:
        return f"http://{HOST}:{record.port}"

    def producer(self) -> NodeRecord:
        return next(n for n in self.nodes() if n.role == PRODUCER)

    def members(self) -> list[ClusterMember]:
        """Every node with the operator's credentials, running or not."""
        user, password = self.folder.credentials()
        return [
            ClusterMember(
                member_name(self.name, n.slug),
                self.url(n),
                n.role,
                user,
                password,
                pid=self.pid(n.slug),
            )
            for n in self.nodes()
        ]

    @property
    def running(self) -> bool:
        return self.exists and any(self.pid(n.slug) for n in self.nodes())

    # -- up ----------------------------------------------------------------------------------
    async def up(
        self,
        followers: int | None = None,
        base_port: int | None = None,
        args: tuple[str, ...] = (),
    ) -> list[str]:
        """Start what is not running (a new cluster, or one that was down); the names started.
        Raises ClusterError, having stopped what this call started."""
        problem = name_problem(self.name)
        if problem:
            raise ClusterUsageError(problem)
        if followers is not None and not 0 <= followers <= MAX_FOLLOWERS:
            raise ClusterUsageError(f"--followers: 0 (a producer alone) to {MAX_FOLLOWERS}")
        if base_port is not None and not 1 <= base_port <= 65535 - MAX_FOLLOWERS:
            raise ClusterUsageError("--base-port: 1 to 65519")
        new = not self.exists
        nodes = self._plan(followers, base_port, args)
        self.folder.write(nodes)
        started: list[str] = []
        try:
            producer = nodes[0]
            if self.pid(producer.slug) is None:
                await self.start_node(producer)
                started.append(producer.slug)
            url = self.url(self.producer())
            waiting = [n for n in nodes[1:] if self.pid(n.slug) is None]
            # Followers start together: each needs only the producer, not each other.
            results = await asyncio.gather(
                *(self.start_node(n, url) for n in waiting), return_exceptions=True
            )
            for node, result in zip(waiting, results, strict=True):
                if not isinstance(result, BaseException):
                    started.append(node.slug)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        except BaseException:
            await self._stop(list(reversed(started)))
            if new:  # a first start that failed leaves no cluster behind, only its logs
                self.folder.config_path.unlink(missing_ok=True)
            raise
        return [member_name(self.name, s) for s in started]

    def _plan(
        self, followers: int | None, base_port: int | None, args: tuple[str, ...]
    ) -> list[NodeRecord]:
        if not self.exists:
            count = followers if followers is not None else 1
            version = NodeVersion(None, tuple(args))
            return [
                NodeRecord(
                    PRODUCER if i == 0 else f"follower-{i}",
                    PRODUCER if i == 0 else "follower",
                    base_port + i if base_port else 0,
                    version,
                )
                for i in range(count + 1)
            ]
        nodes = self.nodes()
        running = [n for n in nodes if self.pid(n.slug)]
        count = len(nodes) - 1
        if followers is not None and followers != count:
            if running:
                raise ClusterUsageError(
                    f"“{self.name}” is up with {count} follower{'s' if count != 1 else ''}: "
                    f"`chaindeck cluster down {self.name}` first to change that"
                )
            version = nodes[-1].version
            nodes = nodes[: followers + 1] + [
                NodeRecord(f"follower-{i}", "follower", 0, version)
                for i in range(count + 1, followers + 1)
            ]
        for i, node in enumerate(nodes):
            if node in running:
                continue
            if base_port:
                node.port = base_port + i
            if args:
                node.version = replace(node.version, args=tuple(args))
        return nodes

    def command(
        self, record: NodeRecord, producer_url: str | None, *, to_start: bool = True
    ) -> list[str]:
        """`to_start`: the port is checked free (else 0: any); False only describes it."""
        version = record.version
        build = [version.executable, "node"] if version.executable else node_command()
        port = record.port if record.port and (not to_start or port_free(record.port)) else 0
        where = ["--port", str(port), "--host", HOST, "--data-dir"]
        where.append(str(self.folder.data_dir(record.slug)))
        if record.role == PRODUCER:
            return [*build, *where, *version.args]
        assert producer_url is not None
        return [*build, *where, "--peer", producer_url, *follower_args(version.args)]

    async def start_node(self, record: NodeRecord, producer_url: str | None = None) -> None:
        """Start one node as `record` says and wait until it answers /health; its port is kept
        (a free one the first time, or when another program took it)."""
        if record.role != PRODUCER and producer_url is None:
            producer_url = self.url(self.producer())
        user, password = self.folder.credentials()
        folder = self.folder
        try:
            ready = await background.start(
                self.command(record, producer_url),
                {"CHAINDECK_OPERATOR": f"{user}:{password}"},
                folder.log(record.slug),
                folder.stdout(record.slug),
                folder.pid_file(record.slug),
                tied=self.tied,
            )
        except background.StartFailed as exc:
            raise ClusterError(f"{member_name(self.name, record.slug)} {exc}") from None
        record.port = int(ready.url.rsplit(":", 1)[1])
        self._save(record)
        if not await answers(ready.url):
            raise ClusterError(f"{member_name(self.name, record.slug)} does not answer /health")

    def _save(self, record: NodeRecord) -> None:
        nodes = self.nodes()
        for i, node in enumerate(nodes):
            if node.slug == record.slug:
                nodes[i] = record
                break
        else:
            nodes.append(record)
        self.folder.write(nodes)

    # -- down --------------------------------------------------------------------------------
    async def down(self) -> list[str]:
        """Stop every node, followers first so none reports its producer lost; chains are
        kept. The names stopped."""
        nodes = self.nodes()
        order = [n.slug for n in nodes if n.role != PRODUCER] + [
            n.slug for n in nodes if n.role == PRODUCER
        ]
        running = [s for s in order if self.pid(s)]
        await self._stop(running)
        return [member_name(self.name, s) for s in running]

    async def _stop(self, slugs: list[str]) -> None:
        followers = [s for s in slugs if s != PRODUCER]
        await asyncio.gather(*(self.stop_node(s) for s in followers))
        if PRODUCER in slugs:
            await self.stop_node(PRODUCER)

    async def stop_node(self, slug: str) -> None:
        pid = self.pid(slug)
        if pid is not None and pid > 0:
            await background.stop_pid(pid)
        self.folder.pid_file(slug).unlink(missing_ok=True)

    # -- status ------------------------------------------------------------------------------
    async def status(self) -> list[NodeStatus]:
        nodes = self.nodes()
        async with httpx.AsyncClient(timeout=3.0) as client:
            return list(await asyncio.gather(*(self._status(client, n) for n in nodes)))

    async def _status(self, client: httpx.AsyncClient, node: NodeRecord) -> NodeStatus:
        pid = self.pid(node.slug)
        name, url = member_name(self.name, node.slug), self.url(node)
        status = NodeStatus(name, node.slug, node.role, url, pid, node.version)
        if pid is None:
            return status
        try:
            response = await client.get(f"{url}/health")
            height = response.json().get("height") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return replace(status, problem="does not answer")
        if response.status_code == 401:
            return replace(status, problem="private: answers only with a token")
        if height is None:
            return replace(status, problem=f"/health answered {response.status_code}")
        return replace(status, height=int(height))


async def answers(url: str, timeout: float = 10.0) -> bool:
    """Whether the node at `url` answers /health within `timeout`: 200, or 401 from a node
    started `--private` (it serves, to those with a token)."""
    async with httpx.AsyncClient(timeout=2.0) as client:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/health")).status_code in (200, 401):
                    return True
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.2)

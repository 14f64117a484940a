"""A local cluster: one producer and N followers (`chaindeck node --peer`), each a child
process of the app, sharing one operator password so any of them accepts the operator's calls.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.jobs.embedded_node import DevnetSettings, EmbeddedNode, NodeStartError, ReadyNode

MAX_FOLLOWERS = 16


@dataclass(frozen=True)
class ClusterMember:
    name: str
    url: str
    role: str
    username: str | None
    password: str | None
    kind: str = "native"
    pid: int | None = None


def member_names(cluster: str, followers: int) -> list[str]:
    return [f"{cluster} producer"] + [f"{cluster} follower {i}" for i in range(1, followers + 1)]


class LocalCluster:
    """Start and stop the processes of one local cluster. Data dirs persist under `base_dir`,
    so a restarted cluster resumes its chain (followers re-verify only what they lack)."""

    def __init__(
        self,
        name: str,
        base_dir: Path,
        logs: Path,
        followers: int,
        settings: DevnetSettings,
        on_exit: Callable[[str, int, str], None],
    ) -> None:
        self.name = name
        self.base_dir = base_dir
        self.logs = logs
        self.followers = followers
        self.settings = settings
        self.on_exit = on_exit
        self.nodes: list[EmbeddedNode] = []
        self.members: list[ClusterMember] = []
        self._password = secrets.token_urlsafe(24)

    def prepare(self) -> str | None:
        if not 1 <= self.followers <= MAX_FOLLOWERS:
            return f"a local cluster has 1 to {MAX_FOLLOWERS} followers"
        problems = self.settings.problems()
        return "; ".join(problems) if problems else None

    def _node(self, index: int, peer: str | None) -> EmbeddedNode:
        name = member_names(self.name, self.followers)[index]
        slug = "producer" if index == 0 else f"follower-{index}"
        return EmbeddedNode(
            self.base_dir / slug,
            self.logs / f"cluster-{self.name.replace(' ', '_')}-{slug}.log",
            self.settings,
            lambda code, tail: self.on_exit(name, code, tail),
            peer=peer,
            password=self._password,
        )

    async def start(self) -> list[ClusterMember]:
        problem = self.prepare()
        if problem:
            raise NodeStartError(problem)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        producer = self._node(0, None)
        self.nodes = [producer]
        try:
            ready = [await producer.start()]
            followers = [self._node(i, ready[0].url) for i in range(1, self.followers + 1)]
            self.nodes += followers
            # Followers start together: each needs only the producer, not each other.
            started = await asyncio.gather(
                *(node.start() for node in followers), return_exceptions=True
            )
            for result in started:
                if isinstance(result, BaseException):
                    raise result
                ready.append(result)
        except BaseException:
            await self.stop()
            raise
        names = member_names(self.name, self.followers)
        self.members = [self._member(name, r) for name, r in zip(names, ready, strict=True)]
        return self.members

    @staticmethod
    def _member(name: str, ready: ReadyNode) -> ClusterMember:
        return ClusterMember(
            name, ready.url, ready.role, ready.username, ready.password, pid=ready.pid
        )

    @property
    def running(self) -> bool:
        return any(node.running for node in self.nodes)

    async def stop(self) -> None:
        """Followers first, so none reports its producer lost on the way down."""
        followers, producer = self.nodes[1:], self.nodes[:1]
        await asyncio.gather(*(node.stop() for node in followers), return_exceptions=True)
        await asyncio.gather(*(node.stop() for node in producer), return_exceptions=True)
        self.nodes = []

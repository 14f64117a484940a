"""A local cluster's folder (shared/spec/deploy.md, "Local clusters"): `cluster.json` with its
members and what each runs, the operator's credentials in a 0600 file, and per node a data dir,
a log, a pid file and the node's stdout (its ready line). The folder is the cluster's only record:
the window and every `chaindeck` command read the same one.

    clusters/NAME/cluster.json
    clusters/NAME/operator            user:password, mode 0600
    clusters/NAME/producer/           the node's data dir (its chain)
    clusters/NAME/producer.log        the node's log
    clusters/NAME/producer.pid
    clusters/NAME/producer.out        the node's stdout: its ready line
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.operator_file import OPERATOR, operator_credentials

NAME_RE = re.compile(r"^[\w .-]{1,40}$")
PRODUCER = "producer"


class ClusterError(Exception):
    """A cluster that cannot be started, found or changed; the message is for the user."""


class ClusterUsageError(ClusterError):
    """Asked wrongly (a bad name, count or port): nothing was tried."""


def slug(name: str) -> str:
    return name.strip().replace(" ", "_")


def name_problem(name: str) -> str | None:
    if not NAME_RE.match(name) or name.strip() != name or name in (".", ".."):
        return "a cluster name is 1 to 40 letters, digits, spaces, dots or dashes"
    return None


@dataclass(frozen=True)
class NodeVersion:
    """What a node runs: a build (None: this installation's) and its node options."""

    executable: str | None = None
    args: tuple[str, ...] = ()

    def describe(self) -> str:
        build = self.executable or "this build"
        return f"{build} {' '.join(self.args)}".strip()

    def as_json(self) -> dict[str, Any]:
        return {"executable": self.executable, "args": list(self.args)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NodeVersion:
        data = data or {}
        return cls(data.get("executable"), tuple(str(a) for a in data.get("args", ())))


@dataclass
class NodeRecord:
    slug: str  # "producer", "follower-1"
    role: str  # "producer" | "follower"
    port: int = 0  # 0: not started yet (a free one is picked)
    version: NodeVersion = field(default_factory=NodeVersion)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "version": self.version.as_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeRecord:
        return cls(
            str(data["slug"]),
            str(data["role"]),
            int(data.get("port", 0)),
            NodeVersion.from_json(data.get("version")),
        )


class ClusterFolder:
    def __init__(self, clusters_root: Path, name: str) -> None:
        self.name = name
        self.path = clusters_root / slug(name)

    @property
    def config_path(self) -> Path:
        return self.path / "cluster.json"

    @property
    def exists(self) -> bool:
        return self.config_path.is_file()

    def data_dir(self, node: str) -> Path:
        return self.path / node

    def log(self, node: str) -> Path:
        return self.path / f"{node}.log"

    def pid_file(self, node: str) -> Path:
        return self.path / f"{node}.pid"

    def stdout(self, node: str) -> Path:
        return self.path / f"{node}.out"

    def backups(self) -> Path:
        return self.path / "backups"

    # -- members ------------------------------------------------------------------------------
    def read(self) -> list[NodeRecord]:
        try:
            data = json.loads(self.config_path.read_text())
            return [NodeRecord.from_json(n) for n in data["nodes"]]
        except FileNotFoundError:
            raise ClusterError(f"no local cluster named “{self.name}”") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ClusterError(f"{self.config_path} is damaged: {exc}") from None

    def write(self, nodes: list[NodeRecord]) -> None:
        """Written whole or not at all: a crash mid-write never loses the members."""
        self.path.mkdir(parents=True, exist_ok=True)
        nodes = sorted(nodes, key=_order)  # producer, then followers by number, however added
        data = {"name": self.name, "nodes": [n.as_json() for n in nodes]}
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, self.config_path)

    # -- the operator's credentials -------------------------------------------------------------
    def credentials(self) -> tuple[str, str]:
        """The cluster's operator, made on first use. Every node of the cluster takes it, so a
        follower acts for the operator on its producer and one login works on every node."""
        return operator_credentials(self.path / OPERATOR)


def _order(node: NodeRecord) -> tuple[bool, int, str]:
    number = node.slug.rsplit("-", 1)[-1]
    return (node.role != PRODUCER, int(number) if number.isdigit() else 0, node.slug)


def local_cluster_names(clusters_root: Path) -> list[str]:
    """Every local cluster on this machine, as named when it was made."""
    names = []
    for config in sorted(clusters_root.glob("*/cluster.json")):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            names.append(str(json.loads(config.read_text())["name"]))
    return names

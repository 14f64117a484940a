"""What a run or a command is aimed at, and the one place a name becomes a node: a URL, a saved
connection profile, a cluster (every node of it), one node of a cluster, or the window's active
node, each with its operator credentials (shared/spec/cli.md: "Operator credentials for a target
come from its saved profile or cluster, else from CHAINDECK_TARGET_USER and
CHAINDECK_TARGET_PASSWORD")."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app import credentials

ACTIVE = "Active node"
CLUSTER = "Cluster: "  # a target name that starts so means every node of that cluster


@dataclass(frozen=True)
class RunTarget:
    url: str
    kind: str | None = None  # None: probe
    name: str = ""
    username: str | None = None
    password: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.url


class TargetError(ValueError):
    """A name that is no node we know; the message is for the user."""


def environment_credentials(env: Mapping[str, str] = os.environ) -> tuple[str | None, str | None]:
    """`CHAINDECK_TARGET_USER` and `CHAINDECK_TARGET_PASSWORD`, else
    `CHAINDECK_OPERATOR=user:password`."""
    user, password = env.get("CHAINDECK_TARGET_USER"), env.get("CHAINDECK_TARGET_PASSWORD")
    if user is None and ":" in env.get("CHAINDECK_OPERATOR", ""):
        user, password = env["CHAINDECK_OPERATOR"].split(":", 1)
    return user, password


def profile_target(profile: dict[str, Any]) -> RunTarget:
    return RunTarget(
        profile["url"],
        profile.get("kind") or None,
        profile["name"],
        profile.get("username") or None,
        credentials.profile_password(profile),
    )


def saved_cluster_targets(cluster: dict[str, Any]) -> list[RunTarget]:
    """The nodes of a saved cluster (URLs someone else runs), named "NAME 1", "NAME 2", ..."""
    name = cluster["name"]
    username = cluster.get("username") or None
    password = credentials.load_password(cluster_credential_key(name)) if username else None
    return [
        RunTarget(url, None, f"{name} {i + 1}", username, password)
        for i, url in enumerate(cluster["urls"])
    ]


def cluster_credential_key(cluster: str) -> str:
    return f"cluster:{cluster}"


@dataclass
class TargetSources:
    """Where names come from; the window and the command line fill it from what they have."""

    profiles: Callable[[], list[dict[str, Any]]] = list
    clusters: Callable[[], list[str]] = list
    members: Callable[[str], list[RunTarget]] = field(default=lambda _name: [])  # or TargetError
    active: Callable[[], RunTarget | None] = field(default=lambda: None)


class TargetResolver:
    def __init__(self, sources: TargetSources) -> None:
        self.sources = sources

    def names(self) -> list[str]:
        """Every target a user can pick, in the order a picker shows them."""
        return (
            [ACTIVE]
            + [p["name"] for p in self.sources.profiles()]
            + [CLUSTER + name for name in self.sources.clusters()]
        )

    def resolve(self, text: str, kind: str | None = None) -> list[RunTarget]:
        """One node, or every node of a cluster (`Cluster: NAME`, or a cluster's bare name)."""
        name = text.strip()
        cluster = name.removeprefix(CLUSTER)
        if name.startswith(CLUSTER) or (
            cluster in self.sources.clusters() and not self._profile(name)
        ):
            targets = self.sources.members(cluster)
            return [replace(t, kind=kind or t.kind) for t in targets]
        return [self.resolve_one(name, kind)]

    def resolve_one(self, text: str, kind: str | None = None) -> RunTarget:
        name = text.strip()
        if name.startswith(("http://", "https://")):
            user, password = environment_credentials()
            return RunTarget(name.rstrip("/"), kind, "", user, password)
        if name == ACTIVE:
            active = self.sources.active()
            if active is None:
                raise TargetError("no node is connected; connect one or choose a saved one")
            return replace(active, kind=kind or active.kind)
        profile = self._profile(name)
        if profile is not None:
            target = profile_target(profile)
            if target.username is None:  # a profile without credentials: the environment's
                user, password = environment_credentials()
                target = replace(target, username=user, password=password)
            return replace(target, kind=kind or target.kind)
        member = self._member(name)
        if member is not None:
            return replace(member, kind=kind or member.kind)
        if name.removeprefix(CLUSTER) in self.sources.clusters():
            raise TargetError(f"“{name}” is a cluster: name one of its nodes")
        raise TargetError(f"{name!r} is neither a node URL (http://host:port) nor a saved profile")

    def _profile(self, name: str) -> dict[str, Any] | None:
        return next((p for p in self.sources.profiles() if p["name"] == name), None)

    def _member(self, name: str) -> RunTarget | None:
        """A node of a cluster by its name (`Local producer`, `Lab 2`)."""
        for cluster in self.sources.clusters():
            try:
                members = self.sources.members(cluster)
            except TargetError:
                continue
            for member in members:
                if member.name == name:
                    return member
        return None

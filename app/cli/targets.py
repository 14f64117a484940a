"""A command's TARGET (shared/spec/cli.md), through the same resolver as the window: a URL, a
saved connection profile, a saved cluster (the app's database) or a local cluster (its folder,
with the operator's credentials from it), or one node of either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.clusters.cluster import LocalCluster, member_targets
from app.clusters.folder import local_cluster_names
from app.jobs import devnet_record
from app.paths import AppPaths
from app.storage.app_db import AppDb
from app.storage.clusters import SAVED, ClusterStore
from app.storage.migrations import SchemaError
from app.targets import RunTarget, TargetError, TargetResolver, TargetSources, saved_cluster_targets

__all__ = ["TargetError", "resolve_target", "resolve_targets"]


DEVNET_NAME = "devnet"


def resolve_target(text: str, kind: str | None, data_dir: Path | None = None) -> RunTarget:
    if text.strip() == DEVNET_NAME:
        return devnet_target(data_dir)
    return _resolver(text, data_dir).resolve_one(text, kind)


def resolve_targets(text: str, kind: str | None, data_dir: Path | None = None) -> list[RunTarget]:
    """One node, or every node of a saved cluster."""
    if text.strip() == DEVNET_NAME:
        return [devnet_target(data_dir)]
    return _resolver(text, data_dir).resolve(text, kind)


def devnet_target(data_dir: Path | None) -> RunTarget:
    """`devnet`: the window's embedded devnet, with its operator (app/jobs/devnet_record.py)."""
    paths = AppPaths.of(data_dir)
    record = devnet_record.running(paths)
    if record is None:
        raise TargetError(
            "the devnet is not running: open ChainDeck (chaindeck gui), which starts it"
        )
    user = password = None
    if not record.get("ephemeral"):
        user, password = devnet_record.credentials(paths)
    return RunTarget(str(record["url"]), "native", "devnet", user, password)


def _resolver(text: str, data_dir: Path | None) -> TargetResolver:
    if text.startswith(("http://", "https://")):
        return TargetResolver(TargetSources())
    profiles, clusters = _saved(data_dir)
    by_name = {c["name"]: c for c in clusters}
    clusters_root = AppPaths.of(data_dir).clusters
    local = [n for n in local_cluster_names(clusters_root) if n not in by_name]

    def members(name: str) -> list[RunTarget]:
        if name in local:
            return member_targets(LocalCluster(clusters_root, name).members())
        if name not in by_name:
            raise TargetError(f"no cluster named “{name}”")
        return saved_cluster_targets(by_name[name])

    sources = TargetSources(
        profiles=lambda: profiles, clusters=lambda: [*by_name, *local], members=members
    )
    return TargetResolver(sources)


def _saved(data_dir: Path | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The saved profiles and clusters; none where the app has never run."""
    paths = AppPaths.of(data_dir)
    if not paths.database.exists():
        return [], []
    try:
        db = AppDb(paths.database)
    except SchemaError as exc:
        raise TargetError(str(exc)) from None
    try:
        clusters = [c for c in ClusterStore(db).all_sync() if c["kind"] == SAVED]
        return db.profiles_sync(), clusters
    finally:
        db.close()

"""`chaindeck cluster up|status|down NAME` (shared/spec/deploy.md): local clusters as background
processes for scripts and CI. Exit 0 done, 1 a node did not start (up) or is not running
(status), 2 bad usage or no such cluster."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from app.clusters.cluster import LocalCluster, NodeStatus
from app.clusters.folder import ClusterError, ClusterUsageError
from app.paths import AppPaths


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chaindeck cluster",
        description="Local clusters (a producer and N followers on this machine) as background "
        "processes: they keep running after the command ends.",
        epilog="Each node's data dir, log and pid file are in the cluster's folder, "
        "DATA-DIR/clusters/NAME; the operator's credentials are in its 0600 file `operator`, "
        "and every chaindeck command that names the cluster uses them.",
    )
    actions = p.add_subparsers(dest="action", metavar="up|status|down", required=True)
    up = actions.add_parser("up", help="start the cluster (or resume it); nothing twice")
    up.add_argument("--followers", type=int, metavar="N", help="followers (1 the first time)")
    up.add_argument("--base-port", type=int, metavar="P", help="producer on P, followers P+1…")
    status = actions.add_parser("status", help="each node: running, URL, height")
    status.add_argument("--json", action="store_true", help="one JSON object")
    down = actions.add_parser("down", help="stop every node, followers first; chains are kept")
    for sub in (up, status, down):
        sub.add_argument("name", metavar="NAME")
        sub.add_argument(
            "--data-dir",
            type=Path,
            metavar="DIR",
            help="the app's data dir holding clusters/ (default: CHAINDECK_DATA_DIR, else "
            "the user data dir)",
        )
    up.add_argument("--json", action="store_true", help="the members as one JSON object")
    up.epilog = "Options after -- go to every node (chaindeck node --help): -- --block-time 1"
    return p


def run_cluster(argv: list[str]) -> int:
    # Split by hand: argparse would take a node's `--block-time` for one of ours.
    options: tuple[str, ...] = ()
    if "--" in argv:
        at = argv.index("--")
        argv, options = argv[:at], tuple(argv[at + 1 :])
    args = parser().parse_args(argv)
    if options and args.action != "up":
        parser().error("node options (after --) are for `up` only")
    cluster = LocalCluster(AppPaths.at(args.data_dir).clusters, args.name)
    try:
        if args.action == "up":
            return asyncio.run(_up(cluster, args.followers, args.base_port, options, args.json))
        if not cluster.exists:
            raise ClusterError(f"no local cluster named “{args.name}” in {cluster.folder.path}")
        if args.action == "status":
            return asyncio.run(_status(cluster, args.json))
        stopped = asyncio.run(cluster.down())
        print(
            f"cluster {args.name}: stopped {_count(len(stopped))}"
            if stopped
            else f"cluster {args.name} was not running"
        )
        return 0
    except ClusterError as exc:
        print(f"chaindeck cluster: {exc}", file=sys.stderr)
        return 1 if args.action == "up" and not isinstance(exc, ClusterUsageError) else 2


async def _up(
    cluster: LocalCluster,
    followers: int | None,
    base_port: int | None,
    options: tuple[str, ...],
    as_json: bool,
) -> int:
    started = await cluster.up(followers, base_port, options)
    nodes = await cluster.status()
    if as_json:
        print(json.dumps(_as_json(cluster, nodes)))
    else:
        print(
            f"cluster {cluster.name}: started {_count(len(started))}"
            if started
            else f"cluster {cluster.name} is already up"
        )
        _table(nodes)
    return 0 if all(n.running for n in nodes) else 1


async def _status(cluster: LocalCluster, as_json: bool) -> int:
    nodes = await cluster.status()
    if as_json:
        print(json.dumps(_as_json(cluster, nodes)))
    else:
        up = sum(n.running for n in nodes)
        print(f"cluster {cluster.name}: {up} of {_count(len(nodes))} running")
        _table(nodes)
    return 0 if all(n.running for n in nodes) else 1


def _count(n: int) -> str:
    return f"{n} node{'s' if n != 1 else ''}"


def _table(nodes: list[NodeStatus]) -> None:
    width = max(len(n.name) for n in nodes)
    for n in nodes:
        if not n.running:
            state = "stopped"
        elif n.height is None:
            state = f"pid {n.pid}, {n.problem}"
        else:
            state = f"pid {n.pid}, height {n.height}"
        print(f"  {n.name:<{width}}  {n.role:<8}  {n.url:<24}  {state}")


def _as_json(cluster: LocalCluster, nodes: list[NodeStatus]) -> dict[str, Any]:
    return {
        "name": cluster.name,
        "folder": str(cluster.folder.path),
        "nodes": [
            {
                "name": n.name,
                "role": n.role,
                "url": n.url,
                "running": n.running,
                "pid": n.pid,
                "height": n.height,
                "problem": n.problem,
                "version": n.version.as_json(),
                "log": str(cluster.folder.log(n.slug)),
            }
            for n in nodes
        ],
    }

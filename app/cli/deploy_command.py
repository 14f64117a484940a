"""`chaindeck deploy PLAN [--dry-run] [--yes] [--json]` (shared/spec/deploy.md). Exit 0 the
deployment succeeded; 1 it was rolled back, its rollback failed, or it was aborted (Ctrl+C or
SIGTERM abort it and roll back); 2 an invalid plan, bad usage or an unreachable cluster."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from app.cli.deploy_output import event_line, summary_line
from app.clusters.cluster import ClusterMember
from app.deploy.job import DeployEvent, DeployJob, make_target
from app.deploy.k8s_manifests import render
from app.deploy.plan import Plan, PlanError, load_plan
from app.jobs.events import Finished, Refused, Started
from app.jobs.runner import JobRunner
from app.paths import AppPaths
from app.storage.app_db import AppDb
from app.storage.deploy_runs import DeployRunStore
from app.storage.migrations import SchemaError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chaindeck deploy",
        description="Run a deployment plan: change a cluster's nodes step by step, check each "
        "step with gates, roll back by itself when one fails.",
        epilog="Exit codes: 0 succeeded, 1 rolled back, rollback failed or aborted, 2 invalid "
        "plan, bad usage or unreachable cluster. Ctrl+C aborts and rolls back.",
    )
    p.add_argument("plan", type=Path, metavar="PLAN", help="the plan's TOML file")
    p.add_argument("--dry-run", action="store_true", help="print the steps; change nothing")
    p.add_argument("--yes", action="store_true", help="approve every approval gate")
    p.add_argument("--json", action="store_true", help="JSON lines, one per event")
    p.add_argument(
        "--manifests",
        action="store_true",
        help='target = "kubernetes": print the StatefulSet, Services and ConfigMap for its first '
        "creation (| kubectl --context CTX apply -f -); change nothing",
    )
    p.add_argument("--data-dir", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    return p


def say(line: str, out: TextIO) -> None:
    """A closed stdout (`| head`) must not stop a deployment half-way, nor its rollback."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=out, flush=True)


def saved_members(data_dir: Path | None) -> dict[str, list[ClusterMember]]:
    """The saved clusters of remote nodes, with their credentials (the command target)."""
    from app.cli.targets import _saved
    from app.targets import saved_cluster_targets

    _profiles, clusters = _saved(data_dir)
    return {
        c["name"]: [
            ClusterMember(t.name, t.url, "", t.username, t.password)
            for t in saved_cluster_targets(c)
        ]
        for c in clusters
    }


def run_deploy(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    paths = AppPaths.at(args.data_dir)
    try:
        plan = load_plan(args.plan)
        if args.manifests:
            return _manifests(plan, args.plan)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        work_dir = paths.root / "deployments" / f"{stamp}-{plan.cluster.replace(' ', '_')}"
        target = make_target(plan, paths.clusters, saved_members(args.data_dir), work_dir)
    except PlanError as exc:
        print(f"chaindeck deploy: {exc}", file=sys.stderr)
        return 2

    async def approve(question: str) -> bool:
        said = sys.stderr if args.json else sys.stdout
        if args.yes:
            say(f"{question} yes (--yes)", said)
            return True
        say(f"{question} no: nobody to ask (run with --yes to approve)", said)
        return False

    job = DeployJob(plan, target, JobRunner(), work_dir, approve)
    if args.dry_run:
        return asyncio.run(_dry_run(job, args.json, sys.stdout))
    try:
        db: AppDb | None = AppDb(paths.database)
    except SchemaError as exc:  # a newer ChainDeck's database: deploy, but keep no record
        print(f"chaindeck deploy: not recorded in the history: {exc}", file=sys.stderr)
        db = None
    try:
        store = DeployRunStore(db) if db is not None else None
        return asyncio.run(_run(job, args.json, sys.stdout, store, args.plan.read_text()))
    finally:
        if db is not None:
            db.close()


def _manifests(plan: Plan, path: Path) -> int:
    """Every pod at the plan's version at once (partition 0): nothing runs yet to roll from."""
    if plan.target != "kubernetes":
        print(
            f'chaindeck deploy: {path}: --manifests is for target = "kubernetes" plans, '
            f'not "{plan.target}"',
            file=sys.stderr,
        )
        return 2
    sys.stdout.write(render(plan, 0))
    return 0


async def _dry_run(job: DeployJob, as_json: bool, out: TextIO) -> int:
    problem, steps = await job.dry_run()
    if problem:
        print(f"chaindeck deploy: {problem}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps({"type": "dry_run", "plan": job.plan.name, "steps": steps}), file=out)
        return 0
    plan = job.plan
    print(
        f"dry run of “{plan.name}” on {plan.cluster}: {plan.strategy}, {len(steps)} steps; "
        "nothing changes",
        file=out,
    )
    for i, step in enumerate(steps, 1):
        note = f" ({step['note']})" if step["note"] else ""
        print(f"{i}. {step['action']}{note} {', '.join(step['nodes'])}", file=out)
        for line in step["commands"]:
            print(f"     {line}", file=out)
        for gate in step["gates"]:
            print(f"     gate: {gate}", file=out)
        for line in step["rollback"]:
            print(f"     rollback: {line}", file=out)
    return 0


async def _run(
    job: DeployJob,
    as_json: bool,
    out: TextIO,
    store: DeployRunStore | None = None,
    plan_text: str = "",
) -> int:
    """Runs it, recorded in the app's history (the window's Deploy tab lists it)."""
    loop = asyncio.get_running_loop()
    handle = JobRunner().submit(job)
    with contextlib.suppress(NotImplementedError):  # no loop signal handlers on Windows
        for sig in (signal.SIGINT, signal.SIGTERM):  # abort: roll back, then report
            loop.add_signal_handler(sig, lambda: loop.create_task(handle.cancel()))
    summary: dict[str, Any] = {}
    run_id: int | None = None
    async for event in handle.events():
        if isinstance(event, Refused):
            print(f"chaindeck deploy: {event.message}", file=sys.stderr)
            return 2
        if isinstance(event, Started) and store is not None:
            plan = job.plan
            row = await store.create(
                plan.name, plan.cluster, plan.strategy, plan_text, job.target_url
            )
            run_id = row["id"]
        if isinstance(event, DeployEvent):
            if store is not None and run_id is not None:
                await store.add_event(run_id, event.event)
            if as_json:
                if event.event["type"] in ("step", "gate", "summary"):
                    say(json.dumps(_spec_fields(event.event)), out)
            else:
                line = event_line(event.event)
                if line:
                    say(line, out)
        elif isinstance(event, Finished):
            summary = event.summary
            if store is not None and run_id is not None:
                await store.finish(run_id, event.status, event.message, summary)
    if not as_json and summary:
        say(summary_line(summary), out)
    return 0 if summary.get("status") == "succeeded" else 1


def _spec_fields(event: dict[str, Any]) -> dict[str, Any]:
    """The spec's fields first; ours (its time, its step) after, as additive fields."""
    return {k: v for k, v in event.items() if k != "figures"}

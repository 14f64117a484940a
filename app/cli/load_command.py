"""`chaindeck load TARGET ...` (shared/spec/load.md): the headless load run. Exit 0 when every
threshold passed, 1 when one failed or the run was cancelled, 2 on bad usage, an unreachable
target or an engine that failed to start (one line on stderr, never a traceback)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from app.cli.load_output import summary_lines, tick_line
from app.cli.targets import TargetError, resolve_targets
from app.jobs.events import Finished, Refused, Started
from app.jobs.runner import JobRunner
from app.jobs.status import RunStatus
from app.load.html_report import ReportError, write_html
from app.load.job import LoadJob, LoadProgress, LoadTick
from app.load.plan import LoadError, LoadOptions, LoadPlan
from app.load.scenarios import SCENARIOS
from app.load.thresholds import UNIT_OF


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chaindeck load",
        description="Run a load test against a node or a cluster (Locust underneath) and judge "
        "it with thresholds.",
        epilog="Funding a transfers run needs the operator's credentials: a saved profile's, or "
        "CHAINDECK_TARGET_USER and CHAINDECK_TARGET_PASSWORD. Threshold metrics: "
        + ", ".join(UNIT_OF)
        + ". Exit codes: 0 passed, 1 a threshold failed or cancelled, 2 bad usage or no engine.",
    )
    p.add_argument("target", metavar="TARGET", help="node URL, saved profile or cluster name")
    p.add_argument(
        "--scenario",
        default="transfers",
        metavar="NAME|PATH",
        help=f"{', '.join(SCENARIOS)}, or your locustfile (default: transfers)",
    )
    p.add_argument("--users", type=int, default=10, help="concurrent users (default 10)")
    p.add_argument("--spawn-rate", type=float, metavar="R", help="users started a second")
    p.add_argument("--duration", default="30s", help="the hold: 30s, 5m, 1h (default 30s)")
    p.add_argument("--rate", type=float, metavar="TPS", help="open model: transfers a second")
    p.add_argument("--stages", metavar="D:N,...", help='k6-style steps: "10s:20,1m:20,10s:0"')
    p.add_argument("--workers", type=int, default=1, help="local Locust workers (default 1)")
    p.add_argument(
        "--master-bind",
        metavar="HOST:PORT",
        help="let workers on other machines join (chaindeck load-worker). Locust's link has NO "
        "authentication: bind to a private network only. Default: 127.0.0.1 only",
    )
    p.add_argument(
        "--ssh-worker",
        action="append",
        default=[],
        metavar="USER@HOST[:PORT]",
        help="one more worker on that machine, repeatable: started over SSH (chaindeck installed "
        "there), joining through a port the SSH connection forwards, so the master stays on "
        "127.0.0.1. Host keys are checked against known_hosts; the key or the SSH agent logs in",
    )
    p.add_argument(
        "--ssh-key", metavar="FILE", help="private key for --ssh-worker (default: agent)"
    )
    p.add_argument("--ssh-known-hosts", metavar="FILE", help="default: ~/.ssh/known_hosts")
    p.add_argument(
        "--ssh-chaindeck",
        default="chaindeck",
        metavar="COMMAND",
        help="how the workers' machines run chaindeck (default: chaindeck)",
    )
    p.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="EXPR",
        help="pass condition, repeatable: p95<500ms, errors<1%%, included_tps>=100/s",
    )
    p.add_argument("--drain", default="30s", help="wait for pending transfers (default 30s)")
    p.add_argument("--kind", choices=("native", "ethereum"), help="skip probing the protocol")
    p.add_argument("--json", action="store_true", help="JSON lines on stdout")
    p.add_argument("--report", type=Path, metavar="FILE", help="write the summary as JSON")
    p.add_argument(
        "--html", type=Path, metavar="FILE", help="write a self-contained report with the charts"
    )
    p.add_argument("--data-dir", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    return p


def make_plan(args: argparse.Namespace) -> LoadPlan:
    try:
        targets = resolve_targets(args.target, args.kind, args.data_dir)
    except TargetError as exc:
        raise LoadError(str(exc)) from None
    options = LoadOptions(
        scenario=args.scenario,
        users=args.users,
        spawn_rate=args.spawn_rate,
        duration=args.duration,
        rate=args.rate,
        stages=args.stages or "",
        workers=args.workers,
        master_bind=args.master_bind,
        thresholds=args.threshold,
        drain=args.drain,
        kind=args.kind,
        ssh_workers=args.ssh_worker,
        ssh_key=args.ssh_key,
        ssh_known_hosts=args.ssh_known_hosts,
        ssh_chaindeck=args.ssh_chaindeck,
    )
    return options.plan(targets)


def run_load(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        plan = make_plan(args)
        for out in (args.report, args.html):
            if out is not None and not out.parent.exists():
                raise LoadError(f"no folder {out.parent} for {out}")
    except LoadError as exc:
        print(f"chaindeck load: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="chaindeck-load-") as tmp:
        job = LoadJob(plan, Path(tmp))
        return asyncio.run(_run(job, args.json, args.report, args.html, sys.stdout))


async def _run(
    job: LoadJob, as_json: bool, report_path: Path | None, html_path: Path | None, out: TextIO
) -> int:
    loop = asyncio.get_running_loop()
    handle = JobRunner().submit(job)
    with contextlib.suppress(NotImplementedError):  # no loop signal handlers on Windows
        for sig in (signal.SIGINT, signal.SIGTERM):  # stop Locust, then report what it measured
            loop.add_signal_handler(sig, lambda: loop.create_task(handle.cancel()))
    said = sys.stderr if as_json else out  # progress stays off stdout in JSON mode
    finished = Finished(RunStatus.FAILED)
    async for event in handle.events():
        if isinstance(event, Refused):
            print(f"chaindeck load: {event.message}", file=sys.stderr)
            return 2
        if isinstance(event, Started):
            print(_opening(job), file=said, flush=True)
        elif isinstance(event, LoadProgress):
            print(event.message, file=said, flush=True)
        elif isinstance(event, LoadTick):
            line = _json_tick(event.tick) if as_json else tick_line(event.tick)
            print(line, file=out, flush=True)
        elif isinstance(event, Finished):
            finished = event
    with contextlib.suppress(NotImplementedError):
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    report: dict[str, Any] = finished.summary
    if not report:  # no figures: the engine never ran (or a run stopped before it did)
        print(f"chaindeck load: {finished.message}", file=sys.stderr)
        return 1 if finished.status == RunStatus.CANCELLED else 2
    if report_path is not None:
        report_path.write_text(json.dumps(report, indent=2))
    if html_path is not None:
        try:
            write_html(html_path, report, job.ticks)
        except (OSError, ReportError) as exc:
            print(f"chaindeck load: no HTML report: {exc}", file=sys.stderr)
    if as_json:
        print(json.dumps(report), file=out, flush=True)
    else:
        for line in summary_lines(report, finished.status):
            print(line, file=out)
    return 0 if finished.status == RunStatus.SUCCEEDED else 1


def _opening(job: LoadJob) -> str:
    plan, info = job.plan, job.info
    assert info is not None
    on = plan.target.label if len(plan.targets) == 1 else f"{len(plan.targets)} nodes"
    shape = (
        f"stages {', '.join(f'{d:g}s:{u}' for d, u in plan.stages)}"
        if plan.stages
        else f"{plan.users} users, {plan.hold_s:g} s hold"
    )
    rate = f", {plan.rate:g} tx/s offered" if plan.rate else ""
    return (
        f"load {plan.scenario} on {on} ({info.kind}, {info.version}, height {info.height}): "
        f"{shape}{rate}, {plan.workers} worker{'s' if plan.workers > 1 else ''}"
        + (f" and {len(plan.ssh_workers)} over SSH" if plan.ssh_workers else "")
    )


def _json_tick(tick: dict[str, Any]) -> str:
    line = {"type": "tick", **{k: v for k, v in tick.items() if k != "event"}}
    return json.dumps(line)

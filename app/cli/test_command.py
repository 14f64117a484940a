"""`chaindeck test TARGET [--suite conformance|e2e|PATH] [--junit-xml FILE] [--json FILE]`:
the headless test run. Exit 0 only when every test passed; 1 when one failed, errored or
nothing ran; 2 on bad usage or an unreachable target."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from app.cli.targets import TargetError, resolve_target
from app.jobs.test_run import TestRunError, TestRunJob, prepare
from app.suites import BUNDLED
from app.test_results import RunTally

MARKS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP", "n/a": "N/A"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chaindeck test",
        description="Run a test suite against a node (pytest underneath) and write reports.",
        epilog="Credentials for operator checks: a saved profile's, or CHAINDECK_TARGET_USER "
        "and CHAINDECK_TARGET_PASSWORD in the environment.",
    )
    p.add_argument("target", metavar="TARGET", help="node URL or saved connection profile")
    p.add_argument(
        "--suite",
        action="append",
        metavar="NAME|PATH",
        help=f"{' or '.join(BUNDLED)} or a pytest folder; repeat for several "
        "(default: conformance)",
    )
    p.add_argument("--kind", choices=("native", "ethereum"), help="skip probing the protocol")
    p.add_argument("--junit-xml", type=Path, metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--json", type=Path, metavar="FILE", help="write a JSON report")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    return p


def run_test(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        target = resolve_target(args.target, args.kind, args.data_dir)
        plan = prepare(args.suite or ["conformance"], target, junit_xml=args.junit_xml)
    except (TargetError, TestRunError) as exc:
        print(f"chaindeck test: {exc}", file=sys.stderr)
        return 2
    for report in (args.junit_xml, args.json):
        if report is not None and not report.parent.exists():
            print(f"chaindeck test: no folder {report.parent} for {report}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="chaindeck-test-") as tmp:
        job = TestRunJob(plan, Path(tmp) / "pytest.log")
        try:
            return asyncio.run(_run(job, args.json, sys.stdout))
        except TestRunError as exc:
            print(f"chaindeck test: {exc}", file=sys.stderr)
            return 2


async def _run(job: TestRunJob, json_path: Path | None, out: TextIO) -> int:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no loop signal handlers on Windows
        for sig in (signal.SIGINT, signal.SIGTERM):  # stop pytest and its children, then report
            loop.add_signal_handler(sig, lambda: loop.create_task(job.cancel()))
    info = await job.probe()
    started = time.time()
    plan = job.plan
    print(
        f"testing {plan.target.label} ({info.kind}, {info.version}, height {info.height}) "
        f"with {', '.join(plan.suites)}",
        file=out,
        flush=True,
    )
    tally = RunTally()
    results: list[dict[str, Any]] = []
    exit_event: dict[str, Any] = {}
    async for event in job.events():
        kind = event["event"]
        if kind == "collected":
            tally.collected(event["tests"])
            print(f"collected {tally.total} tests", file=out, flush=True)
        elif kind == "test":
            tally.add(event)
            results.append(event)
            width = len(str(tally.total))
            line = f"[{tally.done:>{width}}/{tally.total}] {MARKS[event['outcome']]:<5} "
            line += f"{event['nodeid']} ({event['duration']:.2f} s)"
            if event["outcome"] in ("failed", "error"):
                line += f"\n      {event['message'].splitlines()[0] if event['message'] else ''}"
            print(line, file=out, flush=True)
        elif kind == "exited":
            exit_event = event
    with contextlib.suppress(NotImplementedError):
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    ok = tally.all_passed and not job.cancelled and exit_event.get("code") == 0
    status = "cancelled" if job.cancelled else ("passed" if ok else "failed")
    print(f"{status}: {tally.summary()} in {time.time() - started:.1f} s", file=out, flush=True)
    if not tally.total and exit_event.get("output"):
        print(exit_event["output"], file=sys.stderr)  # pytest's own complaint (usage, import)
    if json_path is not None:
        report = {
            "target": plan.target.url,
            "kind": info.kind,
            "nodeVersion": info.version,
            "heightAtStart": info.height,
            "suites": plan.suites,
            "started": started,
            "finished": time.time(),
            "status": status,
            "counts": tally.counts,
            "tests": results,
        }
        json_path.write_text(json.dumps(report, indent=2))
    return 0 if ok else 1

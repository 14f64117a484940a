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
from app.jobs.events import Exited, Finished, Refused, Started
from app.jobs.runner import JobRunner
from app.jobs.status import RunStatus
from app.jobs.test_run import TestFinished, TestRunError, TestRunJob, TestsCollected, prepare
from app.suites import BUNDLED

WORDS = {
    RunStatus.SUCCEEDED: "passed",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "cancelled",
}
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
    handle = JobRunner().submit(job)
    with contextlib.suppress(NotImplementedError):  # no loop signal handlers on Windows
        for sig in (signal.SIGINT, signal.SIGTERM):  # stop pytest and its children, then report
            loop.add_signal_handler(sig, lambda: loop.create_task(handle.cancel()))
    started = time.time()
    plan = job.plan
    tally = job.tally
    results: list[dict[str, Any]] = []
    exited: Exited | None = None
    finished = Finished(RunStatus.FAILED)
    async for event in handle.events():
        if isinstance(event, Refused):
            raise TestRunError(event.message)
        if isinstance(event, Started):
            info = job.info
            assert info is not None
            print(
                f"testing {plan.target.label} ({info.kind}, {info.version}, "
                f"height {info.height}) with {', '.join(plan.suites)}",
                file=out,
                flush=True,
            )
        elif isinstance(event, TestsCollected):
            print(f"collected {tally.total} tests", file=out, flush=True)
        elif isinstance(event, TestFinished):
            result = event.result
            results.append(result)
            width = len(str(tally.total))
            line = f"[{tally.done:>{width}}/{tally.total}] {MARKS[result['outcome']]:<5} "
            line += f"{result['nodeid']} ({result['duration']:.2f} s)"
            if result["outcome"] in ("failed", "error"):
                first = result["message"].splitlines()[0] if result["message"] else ""
                line += f"\n      {first}"
            print(line, file=out, flush=True)
        elif isinstance(event, Exited):
            exited = event
        elif isinstance(event, Finished):
            finished = event
    with contextlib.suppress(NotImplementedError):
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    status = WORDS.get(finished.status, "failed")
    print(f"{status}: {tally.summary()} in {time.time() - started:.1f} s", file=out, flush=True)
    if not tally.total and exited is not None and exited.output:
        print(exited.output, file=sys.stderr)  # pytest's own complaint (usage, import)
    if json_path is not None:
        info = job.info
        assert info is not None
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
    return 0 if finished.status == RunStatus.SUCCEEDED else 1

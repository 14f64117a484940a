"""`chaindeck pipeline FILE [--out DIR] [--json]` (shared/spec/pipeline.md): the headless mode
for CI. Exit 0 every stage passed, 1 a stage failed (or the run was cancelled), 2 an invalid
file or bad usage. Ctrl+C and SIGTERM stop the stage under way, skip the rest, stop the
pipeline's chain and still write the reports."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from app.cli.deploy_command import say
from app.pipeline.file import PipelineError, load_pipeline
from app.pipeline.reports import write_reports
from app.pipeline.run import PipelineRun

MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chaindeck pipeline",
        description="Run a pipeline's stages (cluster, test, load, deploy) with no window and "
        "write JUnit XML, JSON and HTML reports.",
        epilog="Exit codes: 0 every stage passed, 1 a stage failed or the run was cancelled, "
        "2 an invalid file or bad usage. The chain a pipeline starts is always stopped.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the pipeline's TOML file")
    p.add_argument(
        "--out", type=Path, default=Path("chaindeck-report"), metavar="DIR",
        help="where the reports go (default: chaindeck-report/)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="JSON lines, one per event")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    return p


def run_pipeline(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        pipeline = load_pipeline(args.file)
    except PipelineError as exc:
        print(f"chaindeck pipeline: {exc}", file=sys.stderr)
        return 2
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"chaindeck pipeline: --out {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="chaindeck-pipeline-"))
    try:
        show = _json_line if args.json else _human_line
        run = PipelineRun(
            pipeline, args.file.resolve(), work, lambda e: show(e, sys.stdout), args.data_dir
        )
        report = asyncio.run(_run(run))
        for path in write_reports(args.out, report):
            say(f"wrote {path}", sys.stderr if args.json else sys.stdout)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if report["status"] == "passed" else 1


async def _run(run: PipelineRun) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no loop signal handlers on Windows
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: loop.create_task(run.cancel()))
    return await run.run()


def _json_line(event: dict[str, Any], out: TextIO) -> None:
    say(json.dumps(event), out)


def _human_line(event: dict[str, Any], out: TextIO) -> None:
    kind = event["type"]
    if kind == "stage":
        status = event["status"]
        if status == "started":
            say(f"▶ {event['stage']}", out)
        else:
            detail = f": {event['detail']}" if event.get("detail") else ""
            say(f"{MARK.get(status, status)} {event['stage']}{detail}", out)
    elif kind == "progress":
        say(f"    {event['line']}", out)
    elif kind == "summary":
        failed = f" ({', '.join(event['failed'])} failed)" if event["failed"] else ""
        say(f"pipeline {event['pipeline']}: {event['status']}{failed}", out)

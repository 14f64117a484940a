"""A test run as a job (DESIGN.md): pytest in its own process group, one JSON event per test
streamed back through a pipe, cancellable at any moment.

    plan = prepare(["conformance"], RunTarget("http://127.0.0.1:8645"))   # TestRunError if bad
    job = TestRunJob(plan, log_path)
    async for event in job.events(): ...      # collected, test..., finished, exited
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.clients.errors import NodeError
from app.clients.probe import NodeInfo, probe
from app.jobs import process_group
from app.resources import pytest_command
from app.suites import BUNDLED, HERE, SuiteError, suite_path

PER_TEST_TIMEOUT = 120  # s: a hung test fails with a traceback instead of hanging the run
CANCEL_GRACE = 5.0


class TestRunError(Exception):
    """A run that cannot start: bad suite, unreachable target. The message is for the user."""

    __test__ = False


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


@dataclass
class TestRunPlan:
    __test__ = False

    suites: list[str]
    paths: list[Path]
    target: RunTarget
    only: list[str] = field(default_factory=list)  # node ids: re-run just these
    junit_xml: Path | None = None

    @property
    def rootdir(self) -> Path:
        """Node ids are relative to this folder, and pytest runs in it."""
        if all(p in BUNDLED.values() for p in self.paths):
            return HERE
        folders = [p if p.is_dir() else p.parent for p in self.paths]
        return Path(os.path.commonpath(folders))


def prepare(
    suites: list[str],
    target: RunTarget,
    *,
    only: list[str] | None = None,
    junit_xml: Path | None = None,
) -> TestRunPlan:
    """Check what can be checked before anything starts; `TestRunError` says what is wrong."""
    if not suites:
        raise TestRunError("choose at least one suite")
    if not target.url.startswith(("http://", "https://")):
        raise TestRunError(f"{target.url!r} is not a node URL (http://host:port)")
    if target.kind not in (None, "native", "ethereum"):
        raise TestRunError(f"unknown node kind {target.kind!r}: native or ethereum")
    try:
        paths = [suite_path(s) for s in suites]
    except SuiteError as exc:
        raise TestRunError(str(exc)) from exc
    return TestRunPlan(suites, paths, target, list(only or []), junit_xml)


class TestRunJob:
    __test__ = False

    def __init__(self, plan: TestRunPlan, log_path: Path) -> None:
        self.plan = plan
        self.log_path = log_path
        self.info: NodeInfo | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.exit_code: int | None = None
        self.cancelled = False

    @property
    def bundled_only(self) -> bool:
        return self.plan.rootdir == HERE

    def command(self, events_fd: int, kind: str) -> list[str]:
        plan = self.plan
        cmd = [
            *pytest_command(),
            "-p",
            "app.suites.plugin",
            "-p",
            "no:cacheprovider",
            "--chaindeck-target",
            plan.target.url,
            "--chaindeck-kind",
            kind,
            "--chaindeck-events-fd",
            str(events_fd),
            "--rootdir",
            str(plan.rootdir),
            "--import-mode=importlib",
            "--color=no",
            "-q",
            "-rfE",
            "--tb=native",  # 6x faster than pytest's own on deep httpx tracebacks
        ]
        if self.bundled_only:
            cmd += ["-c", str(HERE / "pytest.ini")]
        with contextlib.suppress(ImportError):
            import pytest_timeout  # noqa: F401

            if self.bundled_only:  # plugins are not auto-loaded then: name it
                cmd += ["-p", "pytest_timeout"]
            cmd += [f"--timeout={PER_TEST_TIMEOUT}"]
        if plan.junit_xml is not None:
            cmd += ["--junit-xml", str(plan.junit_xml), "-o", "junit_family=xunit2"]
        cmd += plan.only or [str(p) for p in plan.paths]
        return cmd

    async def probe(self) -> NodeInfo:
        """The target's kind, height and version at the start of the run."""
        try:
            self.info = await probe(self.plan.target.url, self.plan.target.kind)
        except NodeError as exc:
            raise TestRunError(str(exc)) from exc
        return self.info

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Runs pytest and yields its events as they happen, then `{"event": "exited", ...}`."""
        info = self.info or await self.probe()
        target = self.plan.target
        env = {"CHAINDECK_TARGET_USER": target.username or "", "PYTHONUNBUFFERED": "1"}
        if self.bundled_only:
            # Bundled suites need no third-party plugin; whatever else is installed stays out.
            env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        if target.password is not None:
            env["CHAINDECK_TARGET_PASSWORD"] = target.password
        read_fd, write_fd = os.pipe()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.log_path.open("wb") as log:
                self.proc = await process_group.spawn(
                    self.command(write_fd, info.kind),
                    env=env,
                    pass_fds=(write_fd,),
                    stdout=log,
                    stderr=asyncio.subprocess.STDOUT,
                    cwd=str(self.plan.rootdir),
                )
        finally:
            os.close(write_fd)  # the child holds the only write end: EOF when it exits
        reader = asyncio.StreamReader(limit=16 * 2**20)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", 0)
        )
        try:
            while line := await reader.readline():
                with contextlib.suppress(ValueError):
                    event = json.loads(line)
                    if isinstance(event, dict) and "event" in event:
                        yield event
            self.exit_code = await self.proc.wait()
        except BaseException:
            await self.cancel()  # the consumer went away or was cancelled: stop pytest too
            raise
        finally:
            transport.close()
        yield {
            "event": "exited",
            "code": self.exit_code,
            "cancelled": self.cancelled,
            "output": self.output_tail(),
        }

    async def cancel(self) -> None:
        """SIGINT (pytest stops between tests and reports), then SIGTERM, then SIGKILL, on the
        whole process group: nodes or tools a test started go too."""
        self.cancelled = True
        if self.proc is not None and self.proc.returncode is None:
            self.exit_code = await process_group.stop(self.proc, grace=CANCEL_GRACE)

    def output_tail(self, lines: int = 12, width: int = 400) -> str:
        """The end of pytest's own output: why a run stopped before any test (usage, import)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(line[:width] for line in text.splitlines()[-lines:])

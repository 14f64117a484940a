"""A test run as a job (DESIGN.md): pytest in its own process group, one JSON event per test
streamed back through a pipe, cancellable at any moment.

    plan = prepare(["conformance"], RunTarget("http://127.0.0.1:8645"))   # TestRunError if bad
    job = TestRunJob(plan, log_path)
    runner.submit(job).events()   # Started, TestsCollected, TestFinished..., Exited, Finished
    job.events()                  # or pytest's own events as dicts: collected, test..., exited
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.clients.errors import NodeError
from app.clients.probe import NodeInfo, probe
from app.jobs.events import Exited, Finished, JobEvent
from app.jobs.process_job import ProcessJob
from app.resources import pytest_command
from app.suites import BUNDLED, HERE, SuiteError, suite_path
from app.targets import RunTarget
from app.test_results import RunTally, verdict

PER_TEST_TIMEOUT = 120  # s: a hung test fails with a traceback instead of hanging the run
CANCEL_GRACE = 5.0


class TestRunError(Exception):
    """A run that cannot start: bad suite, unreachable target. The message is for the user."""

    __test__ = False


@dataclass(frozen=True)
class TestsCollected:
    __test__ = False

    nodeids: list[str]


@dataclass(frozen=True)
class TestFinished:
    """One test's result: nodeid, outcome, duration, message, longrepr, output."""

    __test__ = False

    result: dict[str, Any]


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


class TestRunJob(ProcessJob):
    __test__ = False
    kind = "test"
    cancel_grace = CANCEL_GRACE

    def __init__(self, plan: TestRunPlan, log_path: Path) -> None:
        super().__init__(log_path)
        self.plan = plan
        self.info: NodeInfo | None = None
        self.tally = RunTally()

    @property
    def target_url(self) -> str:
        return self.plan.target.url

    @property
    def label(self) -> str:
        return self.plan.target.label

    @property
    def bundled_only(self) -> bool:
        return self.plan.rootdir == HERE

    def command(self, events_fd: int) -> list[str]:
        plan = self.plan
        assert self.info is not None, "probe() first"
        cmd = [
            *pytest_command(),
            "-p",
            "app.suites.plugin",
            "-p",
            "no:cacheprovider",
            "--chaindeck-target",
            plan.target.url,
            "--chaindeck-kind",
            self.info.kind,
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

    def environment(self) -> dict[str, str]:
        target = self.plan.target
        env = {"CHAINDECK_TARGET_USER": target.username or ""}
        if self.bundled_only:
            # Bundled suites need no third-party plugin; whatever else is installed stays out.
            env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        if target.password is not None:
            env["CHAINDECK_TARGET_PASSWORD"] = target.password
        return env

    def working_dir(self) -> str:
        return str(self.plan.rootdir)

    async def probe(self) -> NodeInfo:
        """The target's kind, height and version at the start of the run."""
        try:
            self.info = await probe(self.plan.target.url, self.plan.target.kind)
        except NodeError as exc:
            raise TestRunError(str(exc)) from exc
        return self.info

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        if self.info is None:
            await self.probe()
        async for event in super().events():
            yield event

    # -- as a job of the runner ----------------------------------------------------------------
    async def prepare(self) -> str | None:
        try:
            await self.probe()
        except TestRunError as exc:
            return str(exc)
        return None

    async def run(self) -> AsyncIterator[JobEvent]:
        code: int | None = None
        output = ""
        async for event in self.events():
            kind = event["event"]
            if kind == "collected":
                self.tally.collected(event["tests"])
                yield TestsCollected(event["tests"])
            elif kind == "test":
                self.tally.add(event)
                yield TestFinished(event)
            elif kind == "exited":
                code, output = event["code"], event["output"]
                yield Exited(code, event["cancelled"], output)
        status, message = verdict(self.tally, code, self.cancelled, output)
        yield Finished(status, message, {"total": self.tally.total, **self.tally.counts})

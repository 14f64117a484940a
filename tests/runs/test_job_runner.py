"""The runner every kind of run shares, on real child processes: one queue per target across
kinds, a queued run that is cancelled never starts, a run alongside on purpose, and the end of
a child's output when it fails."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.jobs.events import Exited, Finished, JobEvent, Refused, Waiting
from app.jobs.process_job import ProcessJob
from app.jobs.runner import JobRunner, target_key
from app.jobs.status import RunStatus

pytestmark = pytest.mark.timeout(60)

CHILD = """
import json, os, sys, time
out = os.fdopen(int(sys.argv[1]), "w", buffering=1)
out.write(json.dumps({"event": "begun", "pid": os.getpid()}) + "\\n")
print("working", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
out.write(json.dumps({"event": "done"}) + "\\n")
sys.exit(int(sys.argv[3]))
"""


class ChildJob(ProcessJob):
    """A real child process that reports through the events pipe and waits for a file."""

    def __init__(self, kind: str, url: str, tmp: Path, name: str, code: int = 0) -> None:
        super().__init__(tmp / f"{name}.log")
        self.kind = kind
        self._url = url
        self.release = tmp / f"{name}.go"
        self.name = name
        self.code = code
        self.problem: str | None = None

    @property
    def target_url(self) -> str:
        return self._url

    @property
    def label(self) -> str:
        return self.name

    def command(self, events_fd: int) -> list[str]:
        return [sys.executable, "-c", CHILD, str(events_fd), str(self.release), str(self.code)]

    async def prepare(self) -> str | None:
        return self.problem

    async def run(self) -> AsyncIterator[JobEvent]:
        code = None
        async for event in self.events():
            if event["event"] == "exited":
                code = event["code"]
                yield Exited(code, event["cancelled"], event["output"])
            else:
                yield event
        if self.cancelled:
            yield Finished(RunStatus.CANCELLED, "cancelled")
        else:
            ok = code == 0
            yield Finished(RunStatus.SUCCEEDED if ok else RunStatus.FAILED, "" if ok else "exit")


async def collect(handle, into: list) -> None:  # type: ignore[no-untyped-def]
    async for event in handle.events():
        into.append(event)


async def until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def names(events: list) -> list[str]:
    return [e["event"] if isinstance(e, dict) else type(e).__name__ for e in events]


async def test_two_kinds_on_one_target_queue_and_a_busy_target_says_what_holds_it(
    tmp_path: Path,
) -> None:
    runner = JobRunner()
    test = ChildJob("test", "http://127.0.0.1:8645", tmp_path, "tests")
    load = ChildJob("load", "http://localhost:8645/", tmp_path, "load")  # same node
    first, second = runner.submit(test), runner.submit(load)
    a: list = []
    b: list = []
    ta = asyncio.create_task(collect(first, a))
    await until(lambda: "begun" in names(a))
    tb = asyncio.create_task(collect(second, b))
    await until(lambda: b)
    assert b == [Waiting("test run on tests")] and runner.busy("http://127.0.0.1:8645")
    await asyncio.sleep(0.3)
    assert second.status == RunStatus.QUEUED and load.proc is None  # not started meanwhile
    test.release.touch()
    await ta
    await until(lambda: "begun" in names(b))
    assert runner.busy("http://127.0.0.1:8645") == "load run on load"
    load.release.touch()
    await tb
    assert names(a) == ["Started", "begun", "done", "Exited", "Finished"]
    assert names(b) == ["Waiting", "Started", "begun", "done", "Exited", "Finished"]
    assert a[-1].status == b[-1].status == RunStatus.SUCCEEDED
    assert runner.busy("http://127.0.0.1:8645") is None


async def test_cancel_of_a_queued_run_leaves_the_queue_and_it_never_starts(
    tmp_path: Path,
) -> None:
    runner = JobRunner()
    holder = ChildJob("deploy", "http://127.0.0.1:9000", tmp_path, "holder")
    queued = ChildJob("test", "http://127.0.0.1:9000", tmp_path, "queued")
    third = ChildJob("load", "http://127.0.0.1:9000", tmp_path, "third")
    h1, h2, h3 = runner.submit(holder), runner.submit(queued), runner.submit(third)
    e1: list = []
    e2: list = []
    e3: list = []
    t1 = asyncio.create_task(collect(h1, e1))
    await until(lambda: "begun" in names(e1))
    t2 = asyncio.create_task(collect(h2, e2))
    t3 = asyncio.create_task(collect(h3, e3))
    await until(lambda: e2 and e3)
    await h2.cancel()
    await t2
    assert names(e2) == ["Waiting", "Finished"] and e2[-1].status == RunStatus.CANCELLED
    assert queued.proc is None
    holder.release.touch()
    third.release.touch()
    await asyncio.gather(t1, t3)
    assert e3[-1].status == RunStatus.SUCCEEDED  # the run behind the cancelled one still ran


async def test_alongside_runs_at_once_and_cancel_stops_a_running_child(tmp_path: Path) -> None:
    runner = JobRunner()
    first = ChildJob("test", "http://127.0.0.1:9001", tmp_path, "first")
    beside = ChildJob("load", "http://127.0.0.1:9001", tmp_path, "beside")
    h1, h2 = runner.submit(first), runner.submit(beside, alongside=True)
    e1: list = []
    e2: list = []
    t1 = asyncio.create_task(collect(h1, e1))
    await until(lambda: "begun" in names(e1))
    t2 = asyncio.create_task(collect(h2, e2))
    await until(lambda: "begun" in names(e2))  # no waiting: both children are up
    assert "Waiting" not in names(e2)
    await h1.cancel()
    await t1
    assert e1[-1] == Finished(RunStatus.CANCELLED, "cancelled")
    assert first.proc is not None and first.proc.returncode is not None
    beside.release.touch()
    await t2
    assert e2[-1].status == RunStatus.SUCCEEDED


async def test_a_refused_run_never_queues_and_a_failing_child_shows_its_output(
    tmp_path: Path,
) -> None:
    runner = JobRunner()
    bad = ChildJob("load", "http://127.0.0.1:9002", tmp_path, "bad")
    bad.problem = "--users: give a whole number above 0"
    events: list = []
    await collect(runner.submit(bad), events)
    assert events == [Refused("--users: give a whole number above 0")] and bad.proc is None

    failing = ChildJob("test", "http://127.0.0.1:9002", tmp_path, "failing", code=3)
    failing.release.touch()
    events = []
    await collect(runner.submit(failing), events)
    exited = next(e for e in events if isinstance(e, Exited))
    assert exited.code == 3 and "working" in exited.output
    assert events[-1] == Finished(RunStatus.FAILED, "exit")


def test_one_queue_per_node_however_its_url_is_written() -> None:
    same = {
        target_key(u)
        for u in ("http://127.0.0.1:8645", "http://localhost:8645/", "HTTP://LOCALHOST:8645/x")
    }
    assert len(same) == 1
    assert target_key("http://127.0.0.1:8646") not in same
    assert target_key("https://node.example") == "node.example:443"

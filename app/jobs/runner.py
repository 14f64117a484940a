"""One runner for every kind of run: a queue per target shared by tests, load and deployments,
so two runs never hit one node at once unless the user asks for it.

    handle = runner.submit(job)                 # job: prepare() / run() / cancel()
    async for event in handle.events(): ...     # Refused | Waiting, Started, ..., Finished
    await handle.cancel()                       # queued: leaves the queue; running: job.cancel()
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol
from urllib.parse import urlsplit

from app.jobs.events import Finished, JobEvent, Refused, Started, Waiting
from app.jobs.status import RunStatus


class Job(Protocol):
    kind: str  # "test", "load", "deploy"

    @property
    def target_url(self) -> str: ...

    @property
    def label(self) -> str: ...

    async def prepare(self) -> str | None:
        """Check everything that can be checked before the run; a message for the user when
        it cannot run. Never raises for bad input."""

    def run(self) -> AsyncIterator[JobEvent]:
        """The run's events, ending with `Finished`."""

    async def cancel(self) -> None: ...


def target_key(url: str) -> str:
    """Runs on one node share a queue however its URL is written."""
    parts = urlsplit(url.strip().lower())
    host = parts.hostname or ""
    if host in ("localhost", "::1"):
        host = "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{host}:{port}"


class RunHandle:
    def __init__(self, runner: JobRunner, job: Job, alongside: bool) -> None:
        self.runner = runner
        self.job = job
        self.alongside = alongside
        self.status = RunStatus.QUEUED
        self._waiter: asyncio.Task[bool] | None = None
        self._cancelled = False

    @property
    def description(self) -> str:
        return f"{self.job.kind} run on {self.job.label}"

    async def events(self) -> AsyncIterator[JobEvent]:
        problem = await self.job.prepare()
        if problem is not None:
            self.status = RunStatus.FAILED
            yield Refused(problem)
            return
        if self._cancelled:
            self.status = RunStatus.CANCELLED
            yield Finished(RunStatus.CANCELLED, "cancelled before it started")
            return
        key = target_key(self.job.target_url)
        lock = self.runner._locks.setdefault(key, asyncio.Lock())
        holding = False
        try:
            if not self.alongside:
                holder = self.runner._holders.get(key)
                if lock.locked() and holder is not None:
                    yield Waiting(holder.description)
                self._waiter = asyncio.ensure_future(lock.acquire())
                try:
                    holding = await self._waiter
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise
                    self.status = RunStatus.CANCELLED
                    yield Finished(RunStatus.CANCELLED, "cancelled while waiting for the target")
                    return
                self.runner._holders[key] = self
            self.status = RunStatus.RUNNING
            self.runner.running.append(self)
            yield Started()
            async for event in self.job.run():
                if isinstance(event, Finished):
                    self.status = event.status
                yield event
        finally:
            if self in self.runner.running:
                self.runner.running.remove(self)
            waiter = self._waiter
            if not holding and waiter is not None and waiter.done() and not waiter.cancelled():
                holding = True  # acquired just as we were cancelled
            if holding:
                if self.runner._holders.get(key) is self:
                    del self.runner._holders[key]
                lock.release()

    async def cancel(self) -> None:
        self._cancelled = True
        if self.status == RunStatus.QUEUED and self._waiter is not None:
            self._waiter.cancel()
        elif self.status == RunStatus.RUNNING:
            await self.job.cancel()


class JobRunner:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, RunHandle] = {}
        self.running: list[RunHandle] = []

    def submit(self, job: Job, *, alongside: bool = False) -> RunHandle:
        """`alongside`: run now even if the target is busy (the user asked for it)."""
        return RunHandle(self, job, alongside)

    def busy(self, url: str) -> str | None:
        """What holds this target now, if anything."""
        holder = self._holders.get(target_key(url))
        return holder.description if holder is not None else None

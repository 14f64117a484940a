"""What every kind of run shares in the window: the runner with one queue per target, and the
runs table, whose runs of any kind left RUNNING by a crash or a kill become INTERRUPTED at
start-up."""

from __future__ import annotations

from app.jobs.runner import JobRunner
from app.services.lifecycle import Lifecycle
from app.storage.runs import RunStore


class RunsService(Lifecycle):
    def __init__(self, store: RunStore, runner: JobRunner | None = None) -> None:
        self.store = store
        self.runner = runner or JobRunner()
        self.interrupted = 0

    async def start(self) -> None:
        self.interrupted = await self.store.interrupt_running()

"""What a run service keeps of its runs (tests, load, deployments): every run not yet finished,
queued or running, the running ones by their id, and the tasks that follow them; cancel one or
all, and on quit cancel everything (the runs' rows end CANCELLED) before the tasks go."""

from __future__ import annotations

import asyncio
from typing import Any

from app.jobs.runner import RunHandle
from app.tasks import cancel_all


class RunningRuns:
    def __init__(self) -> None:
        self.jobs: dict[int, RunHandle] = {}  # running, by run id
        self.waiting: list[RunHandle] = []  # every run not yet finished, queued or running
        self._tasks: list[asyncio.Task[Any]] = []

    async def cancel(self, run_id: int | None = None) -> None:
        """Cancel one run, or every run, queued or running."""
        if run_id is None:
            handles = list(self.waiting)
        elif run_id in self.jobs:
            handles = [self.jobs[run_id]]
        else:
            return
        await asyncio.gather(*(handle.cancel() for handle in handles))

    async def stop(self) -> None:
        await self.cancel()
        await cancel_all(self._tasks)

"""Group commit: concurrent submissions share one database transaction and one fsync."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommitter(Generic[T]):
    """Collects items while a write is under way and writes them together in the next one."""

    def __init__(self, write: Callable[[list[T]], Awaitable[None]]) -> None:
        self._write = write
        self._batch: list[T] = []
        self._done: asyncio.Future[None] | None = None
        self._writing: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    def add(self, items: list[T]) -> asyncio.Future[None]:
        """Hand `items` to the next write, now; the future is done once they are written (or
        failed). They are in the batch before this returns, so a settle() right after waits
        for them, which `create_task(commit(...))` does not promise: the task may not have run."""
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
        done = self._done
        self._batch.extend(items)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush(), name="group-commit")
        return done

    async def commit(self, items: list[T]) -> None:
        # shield: one cancelled request must not cancel the write its neighbours wait on.
        await asyncio.shield(self.add(items))

    async def _flush(self) -> None:
        while self._batch:
            batch, done = self._batch, self._done
            self._batch, self._done = [], None
            assert done is not None
            self._writing = done
            try:
                await self._write(batch)
            except Exception as exc:  # every waiter of this batch gets the failure
                if not done.done():
                    done.set_exception(exc)
                    done.exception()  # a waiter may be gone; do not log it as unretrieved
            else:
                if not done.done():
                    done.set_result(None)
            finally:
                self._writing = None

    async def settle(self) -> None:
        """Return once every item handed in so far is written; raise if its write failed.

        Batches are written in order, so the batch still collecting (or else the one being
        written) is the last that can hold an item handed in before this call.
        """
        latest = self._done or self._writing
        if latest is not None:
            await asyncio.shield(latest)

    async def drain(self) -> None:
        if self._task is not None:
            await self._task

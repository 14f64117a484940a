"""Owned background tasks: cancelled and awaited by their owner, errors never lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("chaindeck")


async def cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel and wait for `tasks` (emptying the list). `asyncio.wait` lets the tasks' own
    cancellation end there, while a cancellation of the caller still propagates."""
    pending = [t for t in tasks if not t.done()]
    for task in pending:
        task.cancel()
    tasks.clear()
    if pending:
        await asyncio.wait(pending)


def spawn(tasks: list[asyncio.Task[Any]], coro: Coroutine[Any, Any, Any], name: str) -> None:
    """Start `coro` as a task owned by `tasks`; a crash is logged and reaches the error path."""
    task = asyncio.create_task(coro, name=name)
    tasks.append(task)

    def done(t: asyncio.Task[Any]) -> None:
        if t in tasks:
            tasks.remove(t)
        if not t.cancelled() and t.exception() is not None:
            loop = t.get_loop()
            loop.call_exception_handler(
                {"message": f"background task {name} failed", "exception": t.exception()}
            )

    task.add_done_callback(done)

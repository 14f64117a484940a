"""One thread owns a SQLite connection: callers on the event loop `await call(fn)` and never
block the window; start-up and shutdown use the blocking `run(fn)`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class DbThread:
    def __init__(self, name: str) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=name)

    def run(self, fn: Callable[[], T]) -> T:
        """Blocking: for start-up and shutdown, before and after the event loop."""
        return self._thread.submit(fn).result()

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue `fn` and return at once: a write the caller need not wait for."""
        return self._thread.submit(fn)

    async def call(self, fn: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self._thread.submit(fn))

    def shutdown(self) -> None:
        self._thread.shutdown(wait=True)

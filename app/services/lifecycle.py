"""Every QObject service has the same life: `await start()` inside the running loop, `await
stop()` on the way out. The composition root starts them from one ordered list and stops them
in the reverse order, each within a time limit."""

from __future__ import annotations

from typing import Protocol


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Lifecycle:
    """For services with nothing of their own to start or stop (their work begins on demand)."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

"""The embedded devnet's life: start, stop, restart with new settings, reset, crash."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.jobs import devnet_record
from app.jobs.embedded_node import DevnetSettings, EmbeddedNode, NodeStartError, ReadyNode
from app.paths import AppPaths


class DevnetService(QObject):
    # stopped | starting | running | stopping | crashed | restarting (a restart or reset asked for)
    stateChanged = Signal(str)
    started = Signal(object)  # ReadyNode
    crashed = Signal(int, str)  # exit code, last lines of its log
    failed = Signal(str, str)  # could not start: reason, last lines of its log

    def __init__(
        self,
        paths: AppPaths,
        settings: DevnetSettings,
        parent: QObject | None = None,
        *,
        ephemeral: bool = False,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.settings = settings
        self.ephemeral = ephemeral
        self.state = "stopped"
        self.node: EmbeddedNode | None = None
        self.ready: ReadyNode | None = None
        self.restarting = False
        self._lock = asyncio.Lock()

    @property
    def log_path(self) -> Any:
        return self.paths.logs / "devnet.log"

    @property
    def pid(self) -> int | None:
        return self.ready.pid if self.ready and self.state == "running" else None

    def _set_state(self, state: str) -> None:
        if self.restarting and state in ("stopping", "stopped", "starting"):
            state = "restarting"  # asked for: not an outage, whatever the steps on the way
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    async def start(self) -> None:
        """Nothing at start-up: the session starts the devnet when it is the chosen node."""

    async def ensure_running(self) -> ReadyNode | None:
        async with self._lock:
            return await self._start()

    async def _start(self) -> ReadyNode | None:
        if self.node is not None and self.node.running and self.ready is not None:
            return self.ready
        self._set_state("starting")
        self.paths.devnet.mkdir(parents=True, exist_ok=True)
        try:
            self.ready = await self._start_node()
        except NodeStartError as exc:
            self.node = None
            self._set_state("crashed")
            self.failed.emit(str(exc), exc.tail)
            return None
        except BaseException:
            if self.node is not None:
                await self.node.stop()
            self.node = None
            self._set_state("stopped")
            raise
        devnet_record.write(
            self.paths,
            url=self.ready.url,
            port=int(self.ready.url.rsplit(":", 1)[1]),
            pid=self.ready.pid,
            ephemeral=self.ephemeral,
        )
        self._set_state("running")
        self.started.emit(self.ready)
        return self.ready

    async def _start_node(self) -> ReadyNode:
        """On its own port (devnet_record.choose_port) with its kept operator; a throwaway
        (ephemeral) devnet takes any port and a password for this run only."""
        if self.ephemeral:
            port, password = 0, None
        else:
            kept = devnet_record.read(self.paths).get("port")
            port = devnet_record.choose_port(self.settings.port, kept)
            password = devnet_record.credentials(self.paths)[1]
        for attempt in (port, 0):  # taken between the check and the bind: any free one
            self.node = EmbeddedNode(
                self.paths.devnet,
                self.log_path,
                self.settings,
                self._exited,
                ephemeral=self.ephemeral,
                port=attempt,
                password=password,
            )
            try:
                return await self.node.start()
            except NodeStartError as exc:
                if attempt == 0 or "address already in use" not in exc.tail.lower():
                    raise
        raise AssertionError("unreachable")

    @property
    def url(self) -> str | None:
        return self.ready.url if self.ready is not None and self.state == "running" else None

    @property
    def operator_password(self) -> str | None:
        return self.ready.password if self.ready is not None else None

    def _exited(self, code: int, tail: str) -> None:
        self.ready = None
        devnet_record.write(self.paths, pid=None)
        self._set_state("crashed")
        self.crashed.emit(code, tail)

    async def stop(self) -> None:
        async with self._lock:
            await self._stop()

    async def _stop(self) -> None:
        if self.node is None:
            return
        self._set_state("stopping")
        await self.node.stop()
        self.node = None
        self.ready = None
        devnet_record.write(self.paths, pid=None)
        self._set_state("stopped")

    async def restart(self, settings: DevnetSettings | None = None) -> ReadyNode | None:
        """Stop and start again, with new settings; the chain is kept."""
        async with self._lock, self._restarting():
            await self._stop()
            if settings is not None:
                self.settings = settings
            return await self._start()

    @contextlib.asynccontextmanager
    async def _restarting(self) -> AsyncIterator[None]:
        self.restarting = True
        try:
            yield
        finally:
            self.restarting = False

    async def reset(self) -> ReadyNode | None:
        """A new chain: stop, remove the devnet's data, start."""
        async with self._lock, self._restarting():
            await self._stop()
            # A plain thread of our own: a big chain takes a while to delete, and the loop's
            # default executor (QThreads under qasync) would outlive this call.
            with ThreadPoolExecutor(1, thread_name_prefix="devnet-reset") as pool:
                await asyncio.wrap_future(
                    pool.submit(shutil.rmtree, self.paths.devnet, ignore_errors=True)
                )
            return await self._start()

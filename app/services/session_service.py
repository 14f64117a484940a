"""Which node the window shows: the embedded devnet or a saved connection, and switching."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.clients.errors import NodeError
from app.clients.native import NativeClient
from app.jobs.embedded_node import ReadyNode
from app.services.connections_service import DEVNET, ConnectionsService
from app.services.devnet_service import DevnetService
from app.services.lifecycle import Lifecycle
from app.services.node_service import NodeService
from app.tasks import cancel_all, spawn


class SessionService(QObject, Lifecycle):
    activeChanged = Signal(str)  # the profile name now shown (DEVNET for the embedded node)

    def __init__(
        self,
        node: NodeService,
        devnet: DevnetService,
        connections: ConnectionsService,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.node = node
        self.devnet = devnet
        self.connections = connections
        self.active = ""
        self._tasks: list[asyncio.Task[Any]] = []
        devnet.started.connect(self._devnet_started)
        devnet.stateChanged.connect(self._devnet_state)

    async def use_devnet(self) -> None:
        self._set_active(DEVNET)
        ready = await self.devnet.ensure_running()  # the running one, or a new one
        if ready is not None:
            await self._connect_devnet(ready)

    async def use_profile(self, name: str) -> None:
        if name == DEVNET:
            await self.use_devnet()
            return
        self._set_active(name)
        try:
            client = await self.connections.client_for(name)
        except NodeError as exc:  # its kind is still unknown and it does not answer
            await self.node.unreachable(name, exc.message)
            return
        await self.node.connect_to(client, name)

    def _set_active(self, name: str) -> None:
        if name != self.active:
            self.active = name
            self.activeChanged.emit(name)

    def _devnet_state(self, state: str) -> None:
        if state == "restarting" and self.active == DEVNET:
            self.node.expect_restart()

    def _devnet_started(self, ready: ReadyNode) -> None:
        # A restart from the menu or the crash banner: follow the node to its new address.
        current = self.node.client.url if self.node.client else None
        if self.active == DEVNET and current != ready.url.rstrip("/"):
            spawn(self._tasks, self._connect_devnet(ready), "session-connect-devnet")

    async def stop(self) -> None:
        await cancel_all(self._tasks)

    async def _connect_devnet(self, ready: ReadyNode) -> None:
        if self.node.client is not None and self.node.client.url == ready.url.rstrip("/"):
            return
        await self.node.connect_to(NativeClient(ready.url, ready.username, ready.password), DEVNET)

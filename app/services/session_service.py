"""Which node the window shows: the embedded devnet, a saved connection or a node of a cluster,
and switching."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.clients.errors import NodeError
from app.clients.kinds import client_for
from app.clients.native import NativeClient
from app.clients.probe import probe
from app.jobs.embedded_node import ReadyNode
from app.services.cluster_nodes import ClusterNodes
from app.services.connections_service import DEVNET, ConnectionsService, ProfileError
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
        *,
        cluster_nodes: ClusterNodes | None = None,
    ) -> None:
        super().__init__(parent)
        self.node = node
        self.devnet = devnet
        self.connections = connections
        self.cluster_nodes = cluster_nodes
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
        member = self.cluster_nodes.member(name) if self.cluster_nodes else None
        try:
            if member is not None and self.connections.profile(name) is None:
                kind = member.kind if member.role else (await probe(member.url)).kind
                client = client_for(member.url, kind, member.username, member.password)
            else:
                client = await self.connections.client_for(name)
        except (NodeError, ProfileError) as exc:  # unknown, or down while its kind is unknown
            await self.node.unreachable(name, str(exc))
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

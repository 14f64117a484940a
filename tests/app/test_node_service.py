"""NodeService against a real node process: live blocks, a lost node, reconnect and back-fill."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from app.clients.native import NativeClient
from app.services.node_service import NodeService
from tests.helpers.node_process import OPERATOR, NodeProcess
from tests.qt_support import run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mine(node: NodeProcess, blocks: int) -> None:
    with node.client(headers={"Authorization": f"Bearer {node.token()}"}) as client:
        client.post("/api/v1/mine", json={"blocks": blocks}).raise_for_status()


def test_connects_receives_blocks_loses_node_and_backfills_after_restart(
    qtbot: QtBot, qloop: Any, tmp_path: Path
) -> None:
    port = free_port()
    node = NodeProcess(tmp_path / "chain", "--port", str(port)).start()
    service = NodeService()
    received: list[int] = []
    states: list[str] = []
    service.blockReceived.connect(lambda block: received.append(block["height"]))
    service.connectionChanged.connect(lambda state, _detail: states.append(state))
    try:
        with qtbot.waitSignal(service.connectionChanged, check_params_cb=lambda s, _d: s == "live"):
            run(qtbot, service.connect_to(NativeClient(node.url, *OPERATOR), "test"))
        assert service.height == 0

        with qtbot.waitSignal(service.heightChanged, check_params_cb=lambda h: h == 3):
            mine(node, 3)
        assert received == [1, 2, 3]

        with qtbot.waitSignal(
            service.connectionChanged, check_params_cb=lambda s, _d: s == "lost", timeout=10000
        ):
            node.kill()
        assert "retrying in" in service.detail

        # The node comes back with blocks the service never saw over the socket.
        node = NodeProcess(tmp_path / "chain", "--port", str(port)).start()
        mine(node, 4)
        qtbot.waitUntil(lambda: service.state == "live", timeout=20000)
        qtbot.waitUntil(lambda: service.height == 7, timeout=10000)
        assert received == [1, 2, 3, 4, 5, 6, 7]  # each once, in order
        assert states.index("lost") < len(states) - 1
        qtbot.waitUntil(lambda: service.latency_ms > 0, timeout=5000)
    finally:
        run(qtbot, service.stop())
        node.stop()

"""Alerts and health history against real processes: a producer and a follower saved as a
cluster; the follower is killed ("node down" fires) and started again (it resolves). The
history records the outage, reads the remote node's CPU and memory from its /metrics, and a
new health service (as after a restart) finds it all in the store."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from app.health.series import METRICS
from app.jobs.embedded_node import DevnetSettings
from app.paths import AppPaths
from app.services.alert_service import AlertService
from app.services.connections_service import DEVNET, ProfileError
from app.services.devnet_service import DevnetService
from app.services.fleet_service import FleetService
from app.services.health_service import HealthService
from app.storage.alert_store import AlertStore
from app.storage.app_db import AppDb
from app.storage.clusters import ClusterStore
from app.storage.metrics_store import MetricsStore
from tests.helpers.node_process import NodeProcess
from tests.qt_support import run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Watcher:
    """The app's fleet, health and alert services on real SQLite files, no window."""

    def __init__(self, root: Path) -> None:
        self.paths = AppPaths.at(root)
        self.db = AppDb(self.paths.database)
        self.metrics = MetricsStore(self.paths.metrics)
        self.fleet = FleetService(ClusterStore(self.db), self.paths, DevnetSettings())
        self.health = HealthService(self.fleet, self.metrics)
        self.alerts = AlertService(self.fleet, self.health, AlertStore(self.db))

    async def start(self) -> None:
        await self.alerts.start()
        await self.health.start()
        self.fleet.monitor()

    async def stop(self) -> None:
        await self.fleet.stop()
        await self.alerts.stop()
        await self.health.stop()
        self.metrics.close()
        self.db.close()


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess, int]]:
    producer = NodeProcess(tmp_path / "producer", "--block-time", "1").start()
    port = free_port()
    follower = NodeProcess(tmp_path / "follower", "--peer", producer.url, "--port", str(port))
    try:
        follower.start()
        yield producer, follower, port
    finally:
        follower.stop()
        producer.stop()


def test_node_down_fires_and_resolves_and_the_history_keeps_it(
    qtbot: QtBot, qloop: Any, tmp_path: Path, nodes: tuple[NodeProcess, NodeProcess, int]
) -> None:
    producer, follower, _port = nodes
    watcher = Watcher(tmp_path / "app")
    fired: list[Any] = []
    resolved: list[Any] = []
    watcher.alerts.alertFired.connect(fired.append)
    watcher.alerts.alertResolved.connect(resolved.append)
    try:
        run(
            qtbot,
            watcher.fleet.save("Pair", [producer.url, follower.url], "", ""),
        )
        run(qtbot, watcher.start())
        states = lambda: watcher.fleet.states.get("Pair", [])  # noqa: E731
        qtbot.waitUntil(
            lambda: len(states()) == 2 and all(s.state == "up" for s in states()), timeout=15_000
        )
        # Remote CPU and memory come from /metrics (every 5 polls, CPU needs two readings).
        qtbot.waitUntil(lambda: states()[1].cpu_pct is not None, timeout=20_000)
        assert states()[1].mem_mb and states()[1].mem_mb > 10
        assert states()[1].role == "follower" and not watcher.alerts.active

        follower.kill()
        qtbot.waitUntil(lambda: any(a.rule == "node_down" for a in fired), timeout=15_000)
        down = next(a for a in fired if a.rule == "node_down")
        assert down.node == "Pair 2" and "Pair 2" in {a.node for a in watcher.alerts.active}

        run(qtbot, asyncio.to_thread(follower.start), timeout=40)
        qtbot.waitUntil(lambda: down in resolved, timeout=20_000)
        assert down.resolved is not None and down.resolved > down.started
        assert not watcher.alerts.active

        history = run(qtbot, watcher.alerts.history())
        stored = next(a for a in history if a.id == down.id)
        assert stored.rule == "node_down" and stored.resolved == pytest.approx(down.resolved)

        t, values = run(qtbot, watcher.health.series("Pair 2", 300))
        up = values[:, METRICS.index("up")]
        assert 0.0 in up and up[-1] == 1.0  # the outage, and the return
        # While it was down no latency or block time is drawn: a gap, not the old figures.
        outage = up == 0.0
        for metric in ("latency_p95", "latency_p50", "block_time"):
            assert np.isnan(values[outage, METRICS.index(metric)]).all(), metric

        # A cluster deleted while its node is down: no more rounds come, the alert still ends.
        follower.kill()
        qtbot.waitUntil(
            lambda: len([a for a in fired if a.rule == "node_down"]) == 2, timeout=15_000
        )
        again_down = [a for a in fired if a.rule == "node_down"][-1]
        run(qtbot, watcher.fleet.delete("Pair"))
        qtbot.waitUntil(lambda: again_down in resolved, timeout=5_000)
        assert not watcher.alerts.active
    finally:
        run(qtbot, watcher.stop(), timeout=30)

    # A restart of the app finds the last hour in the store.
    again = Watcher(tmp_path / "app")
    try:
        run(qtbot, again.health.start())
        t2, values2 = run(qtbot, again.health.series("Pair 2", 300))
        assert len(t2) >= len(t) - 5  # the last seconds before the stop may be one flush late
        assert np.nanmax(values2[:, METRICS.index("mem_mb")]) > 10
        history2 = run(qtbot, again.alerts.history())
        assert any(a.id == down.id and a.resolved for a in history2)
    finally:
        run(qtbot, again.stop(), timeout=30)


def test_the_embedded_devnet_has_a_health_history_while_it_runs(
    qtbot: QtBot, qloop: Any, tmp_path: Path
) -> None:
    watcher = Watcher(tmp_path / "app")
    devnet = DevnetService(watcher.paths, DevnetSettings(accounts=2, block_time=0.2))
    watcher.fleet.follow_devnet(devnet)
    try:
        run(qtbot, watcher.start())
        ready = run(qtbot, devnet.ensure_running(), timeout=40)
        assert ready is not None
        history = lambda: watcher.health.histories.get(DEVNET)  # noqa: E731
        qtbot.waitUntil(lambda: history() is not None and len(history()) >= 3, timeout=15_000)
        assert watcher.health.nodes()[:2] == ["This host", DEVNET]
        _, values = run(qtbot, watcher.health.series(DEVNET, 300))
        column = {name: values[:, i] for i, name in enumerate(METRICS)}
        assert np.nanmax(column["height"]) >= 1 and np.nanmax(column["up"]) == 1.0
        # A local process: CPU and memory are read, and include the node's helper processes.
        qtbot.waitUntil(lambda: watcher.fleet.states[DEVNET][0].mem_mb is not None, timeout=10_000)
        assert watcher.fleet.states[DEVNET][0].mem_mb > 30
        assert DEVNET not in watcher.fleet.names()  # not a cluster of the Fleet tab

        run(qtbot, devnet.stop())  # stopped on purpose: no longer watched, and not "down"
        qtbot.waitUntil(lambda: DEVNET not in watcher.fleet.states, timeout=10_000)
        assert not any(a.node == DEVNET for a in watcher.alerts.active)
        with pytest.raises(ProfileError, match="devnet"):
            run(qtbot, watcher.fleet.save(DEVNET, ["http://127.0.0.1:1"], "", ""))
    finally:
        run(qtbot, devnet.stop())
        run(qtbot, watcher.stop())

"""Health history: every fleet member's metrics each second (from the fleet poller) and this
host's CPU and memory (psutil), kept in memory for the last hour and persisted, downsampled, in
the metrics store so a restart keeps the graphs."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.fleet.member import MemberState
from app.health.process_metrics import host_reading
from app.health.series import (
    HOST,
    METRICS,
    RING_S,
    MinuteRollup,
    NodeHistory,
    Row,
    clean,
    write_csv,
)
from app.services.fleet_service import FleetService
from app.storage.metrics_store import MINUTES, SECONDS, MetricsStore
from app.tasks import cancel_all, spawn

log = logging.getLogger("chaindeck.health")
FLUSH_EVERY_S = 5
PRUNE_EVERY_S = 600


class HealthService(QObject):
    sampled = Signal()  # new samples are in (once a second)
    hostSampled = Signal(object)  # this host's row

    def __init__(
        self, fleet: FleetService, store: MetricsStore, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.fleet = fleet
        self.store = store
        self.histories: dict[str, NodeHistory] = {}
        self._rollups: dict[str, MinuteRollup] = {}
        self._seconds: list[tuple[str, int, Row]] = []
        self._minutes: list[tuple[str, int, Row]] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._ticks = 0
        self._timer = QTimer(self)
        self._timer.setObjectName("health-sampler")
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        fleet.fleetUpdated.connect(self._take_round)

    # -- life ---------------------------------------------------------------------------------
    async def start(self) -> None:
        """Reload the last hour from the store, then sample every second."""
        since = int(time.time()) - RING_S
        for node in await self.store.call(self.store.node_names_sync):
            for t, row in await self.store.read(SECONDS, node, since):
                self._history(node).append(t, row)
        await asyncio.to_thread(host_reading)  # the first CPU reading is always 0: prime it
        self._timer.start()

    async def stop(self) -> None:
        self._timer.stop()
        await cancel_all(self._tasks)
        for node, rollup in self._rollups.items():
            done = rollup.flush()
            if done is not None:
                self._minutes.append((node, done[0], done[1]))
        await self._flush()

    # -- samples ------------------------------------------------------------------------------
    def _history(self, node: str) -> NodeHistory:
        if node not in self.histories:
            self.histories[node] = NodeHistory()
            self._rollups[node] = MinuteRollup()
        return self.histories[node]

    def record(self, node: str, row: Row, t: float | None = None) -> None:
        when = int(time.time() if t is None else t)
        self._history(node).append(when, row)
        self._seconds.append((node, when, row))
        done = self._rollups[node].add(when, row)
        if done is not None:
            self._minutes.append((node, done[0], done[1]))

    def _take_round(self, _cluster: str, states: list[MemberState]) -> None:
        for state in states:
            if state.polls:
                self.record(state.name, state.metrics())

    def _tick(self) -> None:
        if not self._busy("health-host"):
            spawn(self._tasks, self._sample_host(), "health-host")

    async def _sample_host(self) -> None:
        reading = await asyncio.to_thread(host_reading)  # psutil stays off the window's thread
        row: Row = dict.fromkeys(METRICS)
        row.update(
            cpu_pct=clean(reading.cpu_pct),
            mem_mb=clean(reading.mem_mb),
            mem_pct=clean(reading.mem_pct),
            up=1.0,
        )
        self.record(HOST, row)
        self.hostSampled.emit(row)
        self._ticks += 1
        if self._ticks % FLUSH_EVERY_S == 0 and not self._busy("health-flush"):
            spawn(self._tasks, self._flush(), "health-flush")
        if self._ticks % PRUNE_EVERY_S == 0 and not self._busy("health-prune"):
            spawn(self._tasks, self.store.prune(int(time.time())), "health-prune")
        self.sampled.emit()

    def _busy(self, name: str) -> bool:
        return any(t.get_name() == name for t in self._tasks)

    async def _flush(self) -> None:
        seconds, self._seconds = self._seconds, []
        minutes, self._minutes = self._minutes, []
        await self.store.write(SECONDS, seconds)
        await self.store.write(MINUTES, minutes)

    # -- export -------------------------------------------------------------------------------
    async def export_csv(self, path: Path, node: str, t: np.ndarray, values: np.ndarray) -> str:
        """Write samples as CSV, one row per instant, blank where unknown; what happened, for
        the user."""
        try:
            await asyncio.to_thread(write_csv, path, node, t, values)
        except OSError as exc:
            return f"Could not write {path}: {exc.strerror}"
        return f"Saved {len(t)} rows to {path}"

    # -- reading ------------------------------------------------------------------------------
    def nodes(self) -> list[str]:
        """This host first, then every node with history, by name."""
        return [HOST, *sorted(n for n in self.histories if n != HOST)]

    async def series(self, node: str, range_s: int) -> tuple[np.ndarray, np.ndarray]:
        """Times (epoch s) and a (n, len(METRICS)) array for the last `range_s` seconds: the
        one-second ring up to an hour, the one-minute history beyond."""
        since = time.time() - range_s
        if range_s <= RING_S:
            history = self.histories.get(node)
            if history is None:
                return np.zeros(0), np.zeros((0, len(METRICS)))
            return history.window(since)
        rows = await self.store.read(MINUTES, node, int(since))
        t = np.array([r[0] for r in rows], dtype=float)
        values = np.array(
            [[np.nan if row[m] is None else row[m] for m in METRICS] for _, row in rows],
            dtype=float,
        ).reshape(len(rows), len(METRICS))
        return t, values

"""Headline figures and live series for the dashboard, from the active node's blocks and status
and, for the embedded devnet, its processes' CPU and memory from the health sampler."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.ring_buffer import RingBuffer
from app.services.connections_service import DEVNET
from app.services.health_service import HealthService
from app.services.node_service import NodeService

SAMPLES = 600  # ten minutes at one sample a second
BLOCK_SAMPLES = 2000


class DashboardService(QObject):
    figuresChanged = Signal(object)

    def __init__(
        self,
        node: NodeService,
        health: HealthService,
        node_pid: Callable[[], int | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.node = node
        self.health = health
        self.node_pid = node_pid
        self.tx_rate = RingBuffer(SAMPLES)
        self.block_times = RingBuffer(BLOCK_SAMPLES)
        self.cpu = RingBuffer(SAMPLES)
        self.memory = RingBuffer(SAMPLES)
        self.figures: dict[str, Any] = {}
        self._started = time.monotonic()
        self._last_tick = self._started
        self._tx_since_tick = 0
        self._arrivals: deque[float] = deque()
        self._recent_tx: deque[tuple[float, int]] = deque()
        self._last_timestamp: int | None = None
        node.blockReceived.connect(self._take_block)
        node.nodeChanged.connect(self._reset)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.sample)

    async def start(self) -> None:
        self._timer.start()

    async def stop(self) -> None:
        self._timer.stop()

    def _reset(self, _name: str = "") -> None:
        for buffer in (self.tx_rate, self.block_times, self.cpu, self.memory):
            buffer.clear()
        self._arrivals.clear()
        self._recent_tx.clear()
        self._last_timestamp = None
        self._tx_since_tick = 0

    def _take_block(self, block: dict[str, Any]) -> None:
        now = time.monotonic()
        count = int(block.get("txCount", 0))
        self._tx_since_tick += count
        self._arrivals.append(now)
        self._recent_tx.append((now, count))
        timestamp = int(block.get("timestamp", 0))
        if self._last_timestamp is not None:
            self.block_times.append(
                float(block["height"]), max(0.0, (timestamp - self._last_timestamp) / 1000)
            )
        self._last_timestamp = timestamp

    def sample(self) -> None:
        now = time.monotonic()
        elapsed = max(now - self._last_tick, 1e-3)
        t = now - self._started
        self.tx_rate.append(t, self._tx_since_tick / elapsed)
        self._tx_since_tick = 0
        self._last_tick = now
        self._sample_process(t)
        while self._arrivals and now - self._arrivals[0] > 60:
            self._arrivals.popleft()
        while self._recent_tx and now - self._recent_tx[0][0] > 10:
            self._recent_tx.popleft()
        block_times = self.block_times.last(100)
        figures = {
            "height": self.node.height,
            "blocksPerMinute": len(self._arrivals) * 60 / min(60.0, max(t, 1.0)),
            "txPerSecond": sum(c for _, c in self._recent_tx) / min(10.0, max(t, 1.0)),
            "mempool": self.node.status.get("mempoolSize"),
            "averageBlockTime": float(block_times.mean()) if len(block_times) else None,
            "cpu": self.cpu.last(1)[0] if len(self.cpu) else None,
            "memoryMb": self.memory.last(1)[0] if len(self.memory) else None,
        }
        if figures != self.figures:
            self.figures = figures
            self.figuresChanged.emit(figures)

    def _sample_process(self, t: float) -> None:
        """The devnet's CPU and memory as the health sampler last read them (one sampler a
        node: psutil is read once a second, off the window's thread, by the fleet poller)."""
        history = self.health.histories.get(DEVNET)
        if self.node_pid() is None or history is None:
            return
        latest = history.latest()
        cpu, memory = latest.get("cpu_pct"), latest.get("mem_mb")
        if cpu is not None and memory is not None:
            self.cpu.append(t, cpu)
            self.memory.append(t, memory)

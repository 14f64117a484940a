"""Headline figures and live series for the dashboard, from the active node's blocks and status
and, for the embedded devnet, the node process and its helper processes (psutil)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.health.process_metrics import LocalProcess
from app.ring_buffer import RingBuffer
from app.services.node_service import NodeService

SAMPLES = 600  # ten minutes at one sample a second
BLOCK_SAMPLES = 2000


class DashboardService(QObject):
    figuresChanged = Signal(object)

    def __init__(
        self,
        node: NodeService,
        node_pid: Callable[[], int | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.node = node
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
        self._process: LocalProcess | None = None
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
        self._process = None

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
        pid = self.node_pid()
        if pid is None:
            self._process = None
            return
        if self._process is None or self._process.pid != pid:
            self._process = LocalProcess(pid)
        reading = self._process.read()
        if reading is None or reading.cpu_pct is None or reading.mem_mb is None:
            return
        self.cpu.append(t, reading.cpu_pct)
        self.memory.append(t, reading.mem_mb)

"""What the fleet view, the health graphs and the alerts know of one cluster member, updated by
the fleet poller once a second (app/fleet/poller.py)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from app.health.process_metrics import ProcessReading
from app.health.series import Row, clean

BLOCK_TIMES = 20  # recent block intervals kept for the average
WINDOW = 60  # polls behind the latency percentiles and the error rate


@dataclass
class MemberState:
    name: str
    url: str
    kind: str = "native"
    version: str = ""
    role: str = ""
    height: int = -1
    latest_hash: str = ""
    peers: int | None = 0
    mempool: int | None = 0
    latency_ms: float = 0.0
    last_block_ms: int = 0  # monotonic ms when the height last rose
    state: str = "unknown"  # up | down | unknown | problem
    problem: str = ""
    behind: int = 0
    propagation_ms: float | None = None
    polls: int = 0
    answered: int = 0
    last_answer: float = 0.0
    pid: int | None = None
    cpu_pct: float | None = None
    mem_mb: float | None = None
    mem_pct: float | None = None
    tx_seen: int = 0  # transactions in blocks the feed announced since the last sample
    tx_per_s: float | None = None
    block_times: list[float] = field(default_factory=list)
    first_seen: dict[int, float] = field(default_factory=dict)
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    outcomes: deque[bool] = field(default_factory=lambda: deque(maxlen=WINDOW))

    @property
    def uptime_pct(self) -> float:
        return 100.0 * self.answered / self.polls if self.polls else 0.0

    @property
    def avg_block_time(self) -> float | None:
        return sum(self.block_times) / len(self.block_times) if self.block_times else None

    @property
    def error_pct(self) -> float | None:
        return 100.0 * self.outcomes.count(False) / len(self.outcomes) if self.outcomes else None

    def latency_percentiles(self) -> tuple[float | None, float | None]:
        if not self.latencies:
            return None, None
        p50, p95 = np.percentile(np.fromiter(self.latencies, float), [50, 95])
        return float(p50), float(p95)

    def block_age_s(self, now: float | None = None) -> float | None:
        if not self.last_block_ms:
            return None
        return (now if now is not None else time.monotonic()) - self.last_block_ms / 1000

    def take_process(self, reading: ProcessReading | None) -> None:
        if reading is not None:
            self.cpu_pct, self.mem_mb, self.mem_pct = (
                reading.cpu_pct,
                reading.mem_mb,
                reading.mem_pct,
            )

    def metrics(self) -> Row:
        """One sample for the health history (app/health/series.py METRICS)."""
        up = self.state in ("up", "problem")
        p50, p95 = self.latency_percentiles()
        return {
            "cpu_pct": clean(self.cpu_pct) if up else None,
            "mem_mb": clean(self.mem_mb) if up else None,
            "mem_pct": clean(self.mem_pct) if up else None,
            # A node that does not answer has no latency and no block time: the graphs show
            # the outage as a gap, not the last minute's figures drawn on (issue 20).
            "latency_p50": clean(p50) if up else None,
            "latency_p95": clean(p95) if up else None,
            "block_time": clean(self.avg_block_time) if up else None,
            "tx_per_s": clean(self.tx_per_s) if up else None,
            "mempool": clean(self.mempool) if up and self.mempool is not None else None,
            "peers": clean(self.peers) if up and self.peers is not None else None,
            "height": float(self.height) if self.height >= 0 else None,
            "behind": float(self.behind) if up else None,
            "error_pct": clean(self.error_pct),
            "up": 1.0 if up else 0.0,
        }

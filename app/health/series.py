"""The health metrics of one node, second by second: a ring of the last hour in memory (what the
5 min and 1 h graphs draw) and one-minute means for the long history (24 h and 7 d)."""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.ring_buffer import Ring

# Column order is the storage order (app/storage/metrics_store.py); append only.
METRICS: tuple[str, ...] = (
    "cpu_pct",
    "mem_mb",
    "mem_pct",
    "latency_p50",
    "latency_p95",
    "block_time",
    "tx_per_s",
    "mempool",
    "peers",
    "height",
    "behind",
    "error_pct",
    "up",
)
# Title and unit of each graph; a metric absent here is stored but not drawn.
GRAPHS: dict[str, tuple[str, str]] = {
    "cpu_pct": ("CPU", "%"),
    "mem_mb": ("Memory", "MB"),
    "latency_p50": ("Latency p50", "ms"),
    "latency_p95": ("Latency p95", "ms"),
    "block_time": ("Block time", "s"),
    "tx_per_s": ("Transactions", "tx/s"),
    "mempool": ("Mempool", "tx"),
    "peers": ("Peers", ""),
}
HOST = "This host"
RING_S = 3600  # one hour at one sample a second
MINUTE = 60
Row = dict[str, float | None]


def clean(value: float | None) -> float | None:
    """Two decimals are plenty on a graph, and whole numbers take 1-4 bytes in SQLite."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), 2)


class NodeHistory:
    """The last `capacity` seconds of one node; NaN where a metric was unknown."""

    def __init__(self, capacity: int = RING_S) -> None:
        self.capacity = capacity
        self._ring = Ring(capacity, len(METRICS), fill=np.nan)

    def __len__(self) -> int:
        return len(self._ring)

    @property
    def version(self) -> int:
        return self._ring.version

    def append(self, t: float, row: Row) -> None:
        self._ring.push(t, [np.nan if row.get(m) is None else row[m] for m in METRICS])

    def window(self, since: float) -> tuple[np.ndarray, np.ndarray]:
        """Times and a (n, len(METRICS)) array of every sample at or after `since`, oldest first."""
        t, v = self._ring.ordered()
        keep = t >= since
        return t[keep], v[keep]

    def latest(self) -> Row:
        row = self._ring.newest()
        if row is None:
            return {}
        return {m: (None if np.isnan(x) else float(x)) for m, x in zip(METRICS, row, strict=True)}


@dataclass
class MinuteRollup:
    """Sums of one node's samples in the current minute; a finished minute becomes its means."""

    minute: int = -1
    sums: np.ndarray | None = None
    counts: np.ndarray | None = None

    def add(self, t: float, row: Row) -> tuple[int, Row] | None:
        """Take one sample; return (minute start, means) when `t` starts a new minute."""
        minute = int(t) // MINUTE * MINUTE
        done = None
        if minute != self.minute:
            done = self.flush()
            self.minute = minute
            self.sums = np.zeros(len(METRICS))
            self.counts = np.zeros(len(METRICS))
        assert self.sums is not None and self.counts is not None
        for i, name in enumerate(METRICS):
            value = row.get(name)
            if value is not None:
                self.sums[i] += value
                self.counts[i] += 1
        return done

    def flush(self) -> tuple[int, Row] | None:
        if self.minute < 0 or self.sums is None or self.counts is None or not self.counts.any():
            return None
        means = {
            name: (clean(self.sums[i] / self.counts[i]) if self.counts[i] else None)
            for i, name in enumerate(METRICS)
        }
        return self.minute, means


def write_csv(path: Path, node: str, t: np.ndarray, values: np.ndarray) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["time", "node", *METRICS])
        for when, row in zip(t, values, strict=True):
            stamp = dt.datetime.fromtimestamp(when).isoformat(timespec="seconds")
            writer.writerow([stamp, node, *("" if np.isnan(v) else f"{v:g}" for v in row)])

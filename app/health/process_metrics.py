"""CPU and memory of a node's process: psutil when it runs on this machine, else the node's own
Prometheus `/metrics` (process_cpu_seconds_total, process_resident_memory_bytes, and the host's
memory so a remote node's memory can be judged as a share)."""

from __future__ import annotations

from dataclasses import dataclass

import psutil
from prometheus_client.parser import text_string_to_metric_families

WANTED = {
    "process_cpu_seconds": "cpu_seconds",
    "process_resident_memory_bytes": "rss_bytes",
    "chaindeck_host_memory_total_bytes": "host_total_bytes",
}


@dataclass(frozen=True)
class ProcessReading:
    cpu_pct: float | None
    mem_mb: float | None
    mem_pct: float | None


def parse_process_metrics(text: str) -> dict[str, float]:
    """The process figures of a Prometheus text page; absent ones are left out."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        key = WANTED.get(family.name)
        if key is not None and family.samples:
            found[key] = float(family.samples[0].value)
    return found


class LocalProcess:
    """One process on this machine, read with psutil; None when it has gone."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._process: psutil.Process | None = None
        self._total = psutil.virtual_memory().total

    def read(self) -> ProcessReading | None:
        try:
            if self._process is None:
                self._process = psutil.Process(self.pid)
                self._process.cpu_percent(None)  # the first reading is always 0: prime it
                return None
            with self._process.oneshot():
                cpu = self._process.cpu_percent(None)
                rss = self._process.memory_info().rss
        except psutil.Error:
            self._process = None
            return None
        return ProcessReading(cpu, rss / 2**20, 100.0 * rss / self._total)


class RemoteProcess:
    """CPU % from two readings of a node's cumulative CPU seconds, memory from its RSS."""

    def __init__(self) -> None:
        self._last: tuple[float, float] | None = None  # (when, cpu seconds)

    def take(self, when: float, figures: dict[str, float]) -> ProcessReading:
        cpu_pct = None
        seconds = figures.get("cpu_seconds")
        if seconds is not None:
            if self._last is not None and when > self._last[0] and seconds >= self._last[1]:
                cpu_pct = 100.0 * (seconds - self._last[1]) / (when - self._last[0])
            self._last = (when, seconds)
        rss = figures.get("rss_bytes")
        total = figures.get("host_total_bytes")
        return ProcessReading(
            cpu_pct,
            rss / 2**20 if rss is not None else None,
            100.0 * rss / total if rss is not None and total else None,
        )


def host_reading() -> ProcessReading:
    memory = psutil.virtual_memory()
    return ProcessReading(psutil.cpu_percent(None), memory.used / 2**20, memory.percent)

"""CPU and memory of a node's process: psutil when it runs on this machine (with its helper
processes), else the node's own Prometheus `/metrics` (process_cpu_seconds_total,
process_resident_memory_bytes, and the host's memory so a remote node's memory can be judged as
a share)."""

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
    """A process on this machine with its child processes, read with psutil; None when it has
    gone. CPU is the sum of them all; memory is the process's RSS plus each child's private
    share. A ChainDeck node does its writes and signature checks in helper processes, so the
    node alone would show a fraction of its CPU and memory under load."""

    # Finding a process's children scans every process on the machine; helpers live as long as
    # their node, so the list is refreshed every few readings, not every one.
    CHILDREN_EVERY = 5

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._process: psutil.Process | None = None
        self._children: dict[int, psutil.Process] = {}
        self._reads = 0
        self._total = psutil.virtual_memory().total

    def read(self) -> ProcessReading | None:
        try:
            if self._process is None:
                self._process = psutil.Process(self.pid)
                self._process.cpu_percent(None)  # the first reading is always 0: prime it
                self._reads = 0
                self._find_children()
                return None
            with self._process.oneshot():
                cpu = self._process.cpu_percent(None)
                memory = self._process.memory_info().rss
        except psutil.Error:
            self._process = None
            self._children.clear()
            return None
        self._reads += 1
        if self._reads % self.CHILDREN_EVERY == 0:
            self._find_children()
        for pid, child in list(self._children.items()):
            try:
                with child.oneshot():
                    cpu += child.cpu_percent(None)
                    memory += _private_memory(child)
            except psutil.Error:
                del self._children[pid]
        return ProcessReading(cpu, memory / 2**20, 100.0 * memory / self._total)

    def _find_children(self) -> None:
        assert self._process is not None
        try:
            found = {c.pid: c for c in self._process.children(recursive=True)}
        except psutil.Error:
            return
        for pid, child in found.items():
            if pid not in self._children:
                try:
                    child.cpu_percent(None)  # primed: it counts from the next reading
                except psutil.Error:
                    continue
                self._children[pid] = child
        for pid in set(self._children) - set(found):
            del self._children[pid]


def _private_memory(process: psutil.Process) -> int:
    """A helper's memory less the pages it shares with its node (the interpreter, libraries,
    mapped files): its own share. Exact PSS (smaps) took ~0.8 ms a process to read, on the loop
    of a window that samples every node every second."""
    info = process.memory_info()
    return int(info.rss - getattr(info, "shared", 0))


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

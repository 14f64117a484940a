"""Latency histograms that merge: Locust processes count each latency in a rounded bucket, send
the buckets every second, and the master adds them up, so per-second and whole-run percentiles
come from the same counts. Two significant figures, as Locust's own stats keep them, but 0.1 ms
steps below 10 ms: a node on loopback answers in a few milliseconds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Buckets = dict[float, int]  # rounded milliseconds → how many


def bucket(ms: float) -> float:
    if ms < 10:
        return round(ms, 1)
    if ms < 100:
        return float(round(ms))
    if ms < 1000:
        return float(round(ms, -1))
    if ms < 10_000:
        return float(round(ms, -2))
    return float(round(ms, -3))


def add(into: Buckets, ms: float, count: int = 1) -> None:
    key = bucket(ms)
    into[key] = into.get(key, 0) + count


def merge(into: Buckets, other: Mapping[float, int] | Mapping[str, int]) -> None:
    """Add `other` (keys may arrive as strings from JSON) into `into`."""
    for key, count in other.items():
        k = float(key)
        into[k] = into.get(k, 0) + int(count)


def merged(parts: Iterable[Mapping[float, int]]) -> Buckets:
    total: Buckets = {}
    for part in parts:
        merge(total, part)
    return total


def count(buckets: Mapping[float, int]) -> int:
    return sum(buckets.values())


def percentile(buckets: Mapping[float, int], pct: float) -> float | None:
    """The smallest bucket at or under which `pct` % of the samples fall; None with no samples."""
    total = count(buckets)
    if not total:
        return None
    rank = max(1, -(-total * pct // 100))  # ceil, at least the first sample
    seen = 0
    for key in sorted(buckets):
        seen += buckets[key]
        if seen >= rank:
            return key
    return max(buckets)


def mean(buckets: Mapping[float, int]) -> float | None:
    total = count(buckets)
    return sum(k * n for k, n in buckets.items()) / total if total else None


def figures(buckets: Mapping[float, int]) -> dict[str, float | None]:
    """p50 p90 p95 p99 max avg, in ms; None each where there were no samples."""
    return {
        "p50": percentile(buckets, 50),
        "p90": percentile(buckets, 90),
        "p95": percentile(buckets, 95),
        "p99": percentile(buckets, 99),
        "max": max(buckets) if buckets else None,
        "avg": round(m, 2) if (m := mean(buckets)) is not None else None,
    }


def to_wire(buckets: Mapping[float, int]) -> dict[str, int]:
    """JSON and msgpack keep string keys everywhere."""
    return {repr(k): n for k, n in buckets.items()}

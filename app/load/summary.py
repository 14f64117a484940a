"""The run's figures in the spec's summary shape (shared/spec/load.md "Output"), from the seconds
the master added up: rates and latencies over the hold, counts over the whole run (a transfer
sent during the hold and included during the drain counts as included)."""

from __future__ import annotations

from typing import Any

from app.load import histogram
from app.load.second import Second
from app.load.thresholds import number

SATURATED_CPU = 90.0  # % of one core, as Locust's own warning
SATURATED_SHARE = 0.2  # of the hold's seconds


def summarise(
    hold: Second,
    whole: Second,
    *,
    hold_s: float,
    pending: int,
    users_max: int,
    workers: int,
    cpu_by_second: list[float],
) -> dict[str, Any]:
    """What `chaindeck load` reports, but for what the caller adds (target, kind, scenario,
    started, ended, senders, thresholds, ok)."""
    per_s = max(hold_s, 1e-9)
    busy = sum(1 for cpu in cpu_by_second if cpu >= SATURATED_CPU)
    return {
        "hold_s": round(hold_s, 3),
        "workers": workers,
        "users": users_max,
        "requests": whole.requests,
        "failures": whole.failures,
        "rps": round(hold.requests / per_s, 2),
        "latency_ms": histogram.figures(hold.latency()),
        "endpoints": {
            name: {
                "requests": e.requests,
                "failures": e.failures,
                "rps": round(e.requests / per_s, 2),
                "latency_ms": histogram.figures(e.latency),
            }
            for name, e in sorted(hold.endpoints.items())
        },
        "errors": dict(sorted(whole.errors.items(), key=lambda kv: -kv[1])),
        "transactions": {
            "sent": whole.sent,
            "accepted": whole.accepted,
            "rejected": sum(whole.rejected.values()),
            "rejected_by": whole.rejected,
            "included": whole.included,
            "pending": pending,
            "dropped": whole.dropped,
            "included_tps": round(hold.included / per_s, 2),
            "inclusion_ms": {
                k: histogram.percentile(whole.inclusion, float(k[1:]))
                for k in ("p50", "p95", "p99")
            },
        },
        "subscribers": {
            "lag_ms": histogram.figures(whole.lag),
            "blocks": histogram.count(whole.lag),
            "lagged": whole.lagged,
        },
        "generator": {
            "cpu_pct_max": round(max(cpu_by_second, default=0.0), 1),
            "saturated": bool(cpu_by_second) and busy >= SATURATED_SHARE * len(cpu_by_second),
        },
    }


COMPARED = (
    ("requests/s", ("rps",)),
    ("failures", ("failures",)),
    ("latency p50 ms", ("latency_ms", "p50")),
    ("latency p95 ms", ("latency_ms", "p95")),
    ("latency p99 ms", ("latency_ms", "p99")),
    ("included tx/s", ("transactions", "included_tps")),
    ("inclusion p95 ms", ("transactions", "inclusion_ms", "p95")),
    ("dropped", ("transactions", "dropped")),
    ("block lag p95 ms", ("subscribers", "lag_ms", "p95")),
    ("generator CPU max %", ("generator", "cpu_pct_max")),
)


def differences(
    older: dict[str, Any], newer: dict[str, Any]
) -> list[tuple[str, float | None, float | None, float | None]]:
    """Each figure both runs' reports hold: (figure, older, newer, change in %)."""
    rows = []
    for label, path in COMPARED:
        a, b = _dig(older, path), _dig(newer, path)
        if a is None and b is None:
            continue
        change = (b - a) / abs(a) * 100 if a not in (None, 0) and b is not None else None
        rows.append((label, a, b, change))
    return rows


def _dig(report: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = report
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, int | float) else None


def worker_lines(report: dict[str, Any]) -> list[str]:
    """Each worker's part when there are several: a result limited by one machine (a remote
    worker's network, a busy host) shows as that machine's."""
    per_worker = report.get("per_worker") or []
    if len(per_worker) < 2:
        return []
    return [
        f"{w['worker']}: {w['requests']:,} requests ({w['failures']:,} failed)"
        + (f", {w['sent']:,} sent" if w["sent"] else "")
        + f", CPU up to {number(w['cpu_max'])}%"
        for w in per_worker
    ]

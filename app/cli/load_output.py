"""How a load run reads in a terminal: one line a second, then the summary and the verdicts."""

from __future__ import annotations

from typing import Any

from app.jobs.status import RunStatus
from app.load.summary import worker_lines
from app.load.thresholds import number

WORDS = {
    RunStatus.SUCCEEDED: "passed",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "cancelled",
}


def ms(value: float | None) -> str:
    return "-" if value is None else number(value)


def tick_line(tick: dict[str, Any]) -> str:
    line = (
        f"{tick['t']:>5}s {tick['phase']:<5} {tick['users']:>5} users "
        f"{tick['rps']:>7,} req/s {tick['failures_s']:>5,} fail/s  "
        f"p50 {ms(tick['p50'])} p95 {ms(tick['p95'])} p99 {ms(tick['p99'])} ms"
    )
    if tick["sent"] or tick["included"] or tick["pending"]:
        line += f"  sent {tick['sent']:,} included {tick['included']:,} pending {tick['pending']:,}"
    if tick["dropped"]:
        line += f" dropped {tick['dropped']:,}"
    if tick.get("lag_p95") is not None:
        line += f"  block lag p95 {ms(tick['lag_p95'])} ms"
    return line


def summary_lines(report: dict[str, Any], status: RunStatus) -> list[str]:
    latency, tx = report["latency_ms"], report["transactions"]
    lines = [
        "",
        f"{report['scenario']} on {report['target']}: {number(report['hold_s'])} s hold, "
        f"up to {report['users']} users, {report['workers']} worker(s)",
        f"  requests     {report['requests']:,} ({report['failures']:,} failed), "
        f"{number(report['rps'])} req/s over the hold",
        "  latency ms   " + "  ".join(f"{k} {ms(v)}" for k, v in latency.items()),
    ]
    if tx["sent"]:
        lines += [
            f"  transfers    sent {tx['sent']:,} · accepted {tx['accepted']:,} · rejected "
            f"{tx['rejected']:,} · included {tx['included']:,} · pending {tx['pending']:,}"
            + (f" · dropped {tx['dropped']:,}" if tx["dropped"] else ""),
            f"  included     {number(tx['included_tps'])}/s; inclusion ms "
            + "  ".join(f"{k} {ms(v)}" for k, v in tx["inclusion_ms"].items()),
        ]
    subscribers = report.get("subscribers") or {}
    if subscribers.get("blocks"):
        lag = subscribers["lag_ms"]
        lines.append(
            f"  block feed   {subscribers['blocks']:,} deliveries; lag ms p50 {ms(lag['p50'])} "
            f"p95 {ms(lag['p95'])} max {ms(lag['max'])}; lagged {subscribers['lagged']:,}"
        )
    lines += [f"  worker       {line}" for line in worker_lines(report)]
    for error, count in list((report.get("errors") or {}).items())[:10]:
        lines.append(f"  error        {count:,} times: {error}")
    generator = report["generator"]
    lines.append(
        f"  generator    CPU up to {number(generator['cpu_pct_max'])} % of a core"
        + (
            " — SATURATED: the figures show the load tool's limit, not the node's"
            if generator["saturated"]
            else ""
        )
    )
    lines += [t["message"] for t in report["thresholds"]]
    lines.append(WORDS.get(status, "failed"))
    return lines

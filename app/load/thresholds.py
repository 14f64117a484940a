"""Thresholds (shared/spec/load.md): `METRIC[{name=ENDPOINT}] OP VALUE[UNIT]`, parsed before the
run and judged by ChainDeck over the run's own figures, never by the engine. A metric without
samples fails with "no data"; a failure says by how much and over which window."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LATENCY = ("p50", "p90", "p95", "p99", "max", "avg")
INCLUSION = ("inclusion_p50", "inclusion_p95", "inclusion_p99")
UNIT_OF = {
    **{m: "ms" for m in (*LATENCY, *INCLUSION, "lag_p95")},
    "rps": "/s",
    "included_tps": "/s",
    "errors": "%",
    "dropped": "%",
}
PER_ENDPOINT = {*LATENCY, "rps", "errors"}  # what `{name=...}` may narrow
OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
GRAMMAR = re.compile(
    r"^\s*(?P<metric>[a-z_0-9]+)\s*(?:\{\s*name\s*=\s*(?P<name>[^}]+?)\s*\})?\s*"
    r"(?P<op><=|>=|<|>)\s*(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>ms|s|%|/s)?\s*$"
)


class ThresholdError(ValueError):
    pass


@dataclass(frozen=True)
class Threshold:
    expr: str
    metric: str
    op: str
    limit: float  # in the metric's unit (ms, %, /s)
    name: str | None = None

    @property
    def unit(self) -> str:
        return UNIT_OF[self.metric]


def parse_threshold(text: str) -> Threshold:
    match = GRAMMAR.match(text)
    if not match:
        raise ThresholdError(
            f"threshold {text!r}: METRIC OP VALUE[UNIT], such as p95<500ms or errors<1%"
        )
    metric, name, op = match["metric"], match["name"], match["op"]
    if metric not in UNIT_OF:
        raise ThresholdError(
            f"threshold {text!r}: unknown metric {metric!r} (known: {', '.join(UNIT_OF)})"
        )
    if name is not None and metric not in PER_ENDPOINT:
        raise ThresholdError(f"threshold {text!r}: {metric} is not measured per endpoint")
    value, unit = float(match["value"]), match["unit"] or UNIT_OF[metric]
    if unit == "s" and UNIT_OF[metric] == "ms":
        value, unit = value * 1000, "ms"
    if unit != UNIT_OF[metric]:
        raise ThresholdError(f"threshold {text!r}: {metric} is in {UNIT_OF[metric]}, not {unit}")
    return Threshold(text.strip(), metric, op, value, name)


def measure(summary: dict[str, Any], threshold: Threshold) -> float | None:
    """The run's figure for a threshold's metric; None when it has no samples."""
    metric, scope = threshold.metric, summary
    if threshold.name is not None:
        scope = summary.get("endpoints", {}).get(threshold.name)
        if scope is None:
            return None
    tx = summary.get("transactions") or {}
    if metric in LATENCY:
        return (scope.get("latency_ms") or {}).get(metric)
    if metric == "rps":
        return scope.get("rps") if scope.get("requests") else None
    if metric == "errors":
        requests = scope.get("requests") or 0
        return 100.0 * scope.get("failures", 0) / requests if requests else None
    if metric == "included_tps":
        return tx.get("included_tps") if tx.get("sent") else None
    if metric in INCLUSION:
        return (tx.get("inclusion_ms") or {}).get(metric.removeprefix("inclusion_"))
    if metric == "dropped":
        offered = (tx.get("sent") or 0) + (tx.get("dropped") or 0)
        return 100.0 * (tx.get("dropped") or 0) / offered if offered else None
    if metric == "lag_p95":
        return ((summary.get("subscribers") or {}).get("lag_ms") or {}).get("p95")
    raise AssertionError(metric)


def number(value: float) -> str:
    """3,420 · 12.5 · 0.25: thousands grouped, at most two decimals, no trailing zeros."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def judge(summary: dict[str, Any], threshold: Threshold) -> dict[str, Any]:
    """The spec's threshold record, with the line a person reads."""
    value = measure(summary, threshold)
    window = f"over the {number(summary.get('hold_s') or 0)} s hold"
    unit = threshold.unit
    sep = "" if unit in ("%", "/s") else " "
    limit = f"{number(threshold.limit)}{sep}{unit}"
    label = threshold.metric + (f"{{name={threshold.name}}}" if threshold.name else "")
    if value is None:
        ok, message = False, f"FAIL {label}: no data {window}"
    else:
        ok = OPS[threshold.op](value, threshold.limit)
        shown = f"{number(value)}{sep}{unit}"
        if ok:
            message = f"PASS {label} = {shown} {threshold.op} {limit} {window}"
        else:
            relation = ">" if value > threshold.limit else "<" if value < threshold.limit else "="
            by = ""
            if threshold.limit:
                by = f" ({(value - threshold.limit) / abs(threshold.limit) * 100:+.0f}%)"
            message = f"FAIL {label} = {shown} {relation} {limit}{by} {window}"
    return {
        "expr": threshold.expr,
        "metric": threshold.metric,
        "name": threshold.name,
        "value": value,
        "limit": threshold.limit,
        "unit": unit,
        "ok": ok,
        "message": message,
    }

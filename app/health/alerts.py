"""Alert rules and their evaluation, free of Qt so it is tested on its own.

A rule's condition is checked for every node on every fleet round (once a second). It must hold
for the rule's duration before the alert fires; the alert resolves by itself on the first round
it no longer holds, or when the node is no longer watched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

Facts = dict[
    str, Any
]  # what a round knew of one node: see `facts_of` in app/services/alert_service


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    threshold: float
    duration_s: float
    unit: str
    enabled: bool = True
    what: str = ""  # the threshold's meaning, for the rules editor

    def describe(self) -> str:
        limit = f"{self.threshold:g} {self.unit}".strip()
        held = f" for {self.duration_s:g} s" if self.duration_s else ""
        return f"{self.title}: {self.what.format(limit=limit)}{held}"


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("node_down", "Node down", 0, 0, "", what="stops answering (after 3 s of silence)"),
    Rule("behind", "Behind the best", 5, 30, "blocks", what="more than {limit} behind"),
    Rule("stalled", "No new block", 30, 0, "s", what="none for {limit} while transactions wait"),
    Rule("latency", "Slow answers", 500, 60, "ms", what="request latency p95 above {limit}"),
    Rule("errors", "Failing requests", 10, 60, "%", what="more than {limit} of requests fail"),
    Rule("memory", "Memory", 90, 60, "%", what="the node's memory above {limit} of its host"),
    Rule("refused_block", "Refused a block", 0, 0, "", what="a follower refuses the chain"),
)
# Whether a rule needs its threshold (the last two are yes/no conditions).
HAS_THRESHOLD = {r.key: r.key not in ("node_down", "refused_block") for r in DEFAULT_RULES}


def _above(value: Any, limit: float) -> bool:
    return value is not None and float(value) > limit


CONDITIONS: dict[str, Callable[[Facts, float], str | None]] = {
    "node_down": lambda f, _t: None if f["up"] else f"no answer: {f.get('problem') or 'silent'}",
    "behind": lambda f, t: (
        f"{f['behind']} blocks behind the best" if f["up"] and _above(f.get("behind"), t) else None
    ),
    "stalled": lambda f, t: (
        f"no block for {f['block_age_s']:.0f} s with {f['mempool']} transactions waiting"
        if f["up"] and _above(f.get("block_age_s"), t) and (f.get("mempool") or 0) > 0
        else None
    ),
    "latency": lambda f, t: (
        f"latency p95 {f['latency_p95']:.0f} ms"
        if f["up"] and _above(f.get("latency_p95"), t)
        else None
    ),
    "errors": lambda f, t: (
        f"{f['error_pct']:.0f} % of requests failed" if _above(f.get("error_pct"), t) else None
    ),
    "memory": lambda f, t: (
        f"memory at {f['mem_pct']:.0f} %" if f["up"] and _above(f.get("mem_pct"), t) else None
    ),
    "refused_block": lambda f, _t: (
        f.get("problem") if f["up"] and "refuse" in (f.get("problem") or "") else None
    ),
}


@dataclass
class Alert:
    rule: str
    title: str
    node: str
    message: str
    started: float  # epoch seconds
    resolved: float | None = None
    id: int | None = None  # set once stored

    @property
    def firing(self) -> bool:
        return self.resolved is None


@dataclass
class Evaluator:
    """Fires and resolves alerts from facts, round by round."""

    rules: dict[str, Rule] = field(default_factory=lambda: {r.key: r for r in DEFAULT_RULES})
    firing: dict[tuple[str, str], Alert] = field(default_factory=dict)
    _since: dict[tuple[str, str], float] = field(default_factory=dict)

    def set_rules(self, rules: list[Rule]) -> list[Alert]:
        """New rules; alerts of rules now disabled resolve."""
        self.rules = {r.key: r for r in rules}
        gone = [k for k in self.firing if k[0] not in self.rules or not self.rules[k[0]].enabled]
        return [self._resolve(key, time.time()) for key in gone]

    def evaluate(self, node: str, facts: Facts, now: float | None = None) -> list[Alert]:
        """Alerts that fired or resolved for `node` this round."""
        now = time.time() if now is None else now
        changed: list[Alert] = []
        for rule in self.rules.values():
            key = (rule.key, node)
            message = CONDITIONS[rule.key](facts, rule.threshold) if rule.enabled else None
            if message is None:
                self._since.pop(key, None)
                if key in self.firing:
                    changed.append(self._resolve(key, now))
                continue
            since = self._since.setdefault(key, now)
            alert = self.firing.get(key)
            if alert is not None:
                alert.message = message  # the latest figure, shown while it fires
            elif now - since >= rule.duration_s:
                alert = Alert(rule.key, rule.title, node, message, now)
                self.firing[key] = alert
                changed.append(alert)
        return changed

    def forget(self, keep: set[str], now: float | None = None) -> list[Alert]:
        """Resolve the alerts of nodes no longer watched (a cluster stopped or deleted)."""
        now = time.time() if now is None else now
        for key in [k for k in self._since if k[1] not in keep]:
            del self._since[key]
        return [self._resolve(key, now) for key in list(self.firing) if key[1] not in keep]

    def _resolve(self, key: tuple[str, str], now: float) -> Alert:
        self._since.pop(key, None)
        alert = self.firing.pop(key)
        alert.resolved = now
        return alert


def edited(rule: Rule, threshold: float, duration_s: float, enabled: bool) -> Rule:
    """A rule with new settings; ValueError naming the field when one is out of range."""
    if threshold < 0:
        raise ValueError(f"{rule.title}: the threshold cannot be negative")
    if not 0 <= duration_s <= 86400:
        raise ValueError(f"{rule.title}: the duration is 0 to 86400 s")
    if rule.unit == "%" and threshold > 100:
        raise ValueError(f"{rule.title}: a percentage is 0 to 100")
    return replace(rule, threshold=threshold, duration_s=duration_s, enabled=enabled)

"""Alert evaluation on its own: durations, resolving, forgetting, editing rules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.health.alerts import DEFAULT_RULES, Evaluator, edited

UP = {"up": True, "problem": "", "behind": 0, "block_age_s": 1.0, "mempool": 0}


def test_a_down_node_fires_at_once_and_resolves_when_it_answers() -> None:
    ev = Evaluator()
    fired = ev.evaluate("n1", {"up": False, "problem": "refused"}, now=100)
    assert [(a.rule, a.node) for a in fired] == [("node_down", "n1")]
    assert ev.evaluate("n1", {"up": False}, now=101) == []  # fires once, not every round
    resolved = ev.evaluate("n1", UP, now=130)
    assert [(a.rule, a.resolved) for a in resolved] == [("node_down", 130)]
    assert not ev.firing


def test_a_condition_must_hold_for_the_rule_duration() -> None:
    ev = Evaluator()
    behind = {**UP, "behind": 9}
    assert ev.evaluate("n1", behind, now=0) == []
    assert ev.evaluate("n1", behind, now=29) == []
    assert [a.rule for a in ev.evaluate("n1", behind, now=30)] == ["behind"]
    # A blip back to normal restarts the clock.
    ev2 = Evaluator()
    ev2.evaluate("n1", behind, now=0)
    ev2.evaluate("n1", UP, now=10)
    assert ev2.evaluate("n1", behind, now=35) == []


def test_no_block_fires_only_while_transactions_wait() -> None:
    ev = Evaluator()
    idle = {**UP, "block_age_s": 300.0, "mempool": 0}
    assert ev.evaluate("n1", idle, now=0) == []
    stuck = {**idle, "mempool": 12}
    fired = ev.evaluate("n1", stuck, now=1)
    assert [a.rule for a in fired] == ["stalled"]
    assert "12 transactions waiting" in fired[0].message


def test_thresholds_latency_errors_memory_and_a_refused_block() -> None:
    ev = Evaluator(
        rules={r.key: replace(r, duration_s=0) for r in DEFAULT_RULES},
    )
    facts = {
        **UP,
        "latency_p95": 900.0,
        "error_pct": 25.0,
        "mem_pct": 95.0,
        "problem": "refused a block from http://p: bad signature",
    }
    rules = sorted(a.rule for a in ev.evaluate("f1", facts, now=0))
    assert rules == ["errors", "latency", "memory", "refused_block"]


def test_forgetting_a_node_and_disabling_a_rule_resolve_its_alerts() -> None:
    ev = Evaluator()
    ev.evaluate("n1", {"up": False}, now=0)
    ev.evaluate("n2", {"up": False}, now=0)
    gone = ev.forget({"n2"}, now=5)
    assert [(a.node, a.resolved) for a in gone] == [("n1", 5)]
    rules = [replace(r, enabled=r.key != "node_down") for r in DEFAULT_RULES]
    resolved = ev.set_rules(rules)
    assert [a.node for a in resolved] == ["n2"]
    assert ev.evaluate("n2", {"up": False}, now=10) == []


def test_edited_rules_refuse_values_out_of_range() -> None:
    memory = next(r for r in DEFAULT_RULES if r.key == "memory")
    assert edited(memory, 80, 10, True).threshold == 80
    with pytest.raises(ValueError, match="percentage"):
        edited(memory, 120, 10, True)
    with pytest.raises(ValueError, match="negative"):
        edited(memory, -1, 10, True)
    with pytest.raises(ValueError, match="duration"):
        edited(memory, 50, -3, True)

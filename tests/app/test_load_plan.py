"""What a load run is told and how it is judged, before and after Locust: durations, stages,
the threshold grammar, the verdict's words, and the percentiles of merged seconds."""

from __future__ import annotations

import pytest

from app.load import histogram
from app.load.plan import LoadError, LoadPlan, check, parse_duration, parse_stages, thresholds
from app.load.second import Second
from app.load.thresholds import ThresholdError, judge, parse_threshold
from app.targets import RunTarget

TARGET = RunTarget("http://127.0.0.1:8645")


def test_durations_and_stages() -> None:
    assert parse_duration("30s") == 30
    assert parse_duration("250ms") == 0.25
    assert parse_duration("1.5m") == 90
    assert parse_duration("2") == 2
    assert parse_stages("10s:20, 1m:20,10s:0") == [(10, 20), (60, 20), (10, 0)]
    for bad in ("", "10s", "10s:x", "0s:5", "ten:5"):
        with pytest.raises(LoadError):
            parse_stages(bad)
    with pytest.raises(LoadError, match="a number with ms, s, m or h"):
        parse_duration("5 days")


def test_a_plan_knows_its_phases_and_its_senders() -> None:
    plan = LoadPlan([TARGET], users=32, spawn_rate=8, duration=60, workers=2)
    assert (plan.ramp_s, plan.hold_s, plan.max_users) == (4, 60, 32)
    assert plan.senders_needed() == 33  # worker i's k-th user takes sender i + 2k
    staged = LoadPlan([TARGET], stages=parse_stages("10s:20,1m:50,10s:0"))
    assert (staged.ramp_s, staged.hold_s, staged.max_users) == (0, 80, 50)
    assert LoadPlan([TARGET], scenario="reads").senders_needed() == 0
    assert LoadPlan([TARGET], scenario="mixed", users=40).senders_needed() == 4


@pytest.mark.parametrize(
    ("text", "metric", "op", "limit", "name"),
    [
        ("p95<500ms", "p95", "<", 500, None),
        ("p99 <= 1.5s", "p99", "<=", 1500, None),
        ("errors<1%", "errors", "<", 1, None),
        ("included_tps>=100/s", "included_tps", ">=", 100, None),
        ("p95{name=/api/v1/blocks}<100ms", "p95", "<", 100, "/api/v1/blocks"),
        ("inclusion_p95<3000", "inclusion_p95", "<", 3000, None),
    ],
)
def test_the_threshold_grammar(text: str, metric: str, op: str, limit: float, name: str) -> None:
    threshold = parse_threshold(text)
    assert (threshold.metric, threshold.op, threshold.limit, threshold.name) == (
        metric,
        op,
        limit,
        name,
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("p96<5ms", "unknown metric 'p96'"),
        ("errors<5ms", "errors is in %, not ms"),
        ("included_tps{name=/x}>5/s", "not measured per endpoint"),
        ("p95 = 5ms", "METRIC OP VALUE"),
    ],
)
def test_a_bad_threshold_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ThresholdError, match=says):
        parse_threshold(text)


def test_a_threshold_on_an_endpoint_the_scenario_never_calls_is_refused() -> None:
    plan = LoadPlan([TARGET], scenario="reads", thresholds=thresholds(["p95{name=/nope}<1ms"]))
    with pytest.raises(LoadError, match="no endpoint '/nope' in reads"):
        check(plan)
    check(
        LoadPlan(
            [TARGET], scenario="reads", thresholds=thresholds(["p95{name=/api/v1/blocks}<1ms"])
        )
    )


def test_verdicts_say_by_how_much_and_over_which_window() -> None:
    summary = {
        "hold_s": 60,
        "requests": 1000,
        "failures": 5,
        "transactions": {"sent": 10, "inclusion_ms": {"p95": 3420.0}},
    }
    failed = judge(summary, parse_threshold("inclusion_p95<3000ms"))
    assert not failed["ok"]
    assert failed["message"] == "FAIL inclusion_p95 = 3,420 ms > 3,000 ms (+14%) over the 60 s hold"
    passed = judge(summary, parse_threshold("errors<1%"))
    assert passed["ok"] and passed["value"] == 0.5
    assert passed["message"] == "PASS errors = 0.5% < 1% over the 60 s hold"
    no_data = judge(summary, parse_threshold("lag_p95<100ms"))
    assert not no_data["ok"] and "no data" in no_data["message"] and no_data["value"] is None


def test_percentiles_of_merged_seconds_are_those_of_all_the_samples() -> None:
    seconds = [Second(), Second()]
    for i in range(1, 101):
        seconds[i % 2].request("/x", float(i), None if i % 10 else "HTTP 500")
    total = Second()
    for second in seconds:
        total.add(second.wire())  # as the master receives them: over the wire
    latency = histogram.figures(total.latency())
    assert (latency["p50"], latency["p95"], latency["max"]) == (50.0, 95.0, 100.0)
    assert (total.requests, total.failures, total.errors) == (100, 10, {"HTTP 500": 10})
    assert histogram.percentile({}, 95) is None
    assert histogram.bucket(2.345) == 2.3 and histogram.bucket(1234) == 1200

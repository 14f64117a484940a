"""Lag and propagation between cluster members, from what their polls and feeds reported."""

from __future__ import annotations

from app.fleet.member import MemberState
from app.fleet.poller import compare


def member(name: str, polled: int, feed: dict[int, float]) -> MemberState:
    state = MemberState(name=name, url=f"http://127.0.0.1/{name}")
    state.state, state.height, state.first_seen = "up", polled, dict(feed)
    return state


def test_a_node_polled_earlier_is_not_behind_when_its_feed_has_kept_up() -> None:
    # Polled half a second apart on a fast chain: 100 vs 115. Both feeds have told block 120.
    producer = member("p", 115, {h: 10.0 + (h - 100) * 0.03 for h in range(100, 121)})
    follower = member("f", 100, {h: 10.05 + (h - 100) * 0.03 for h in range(100, 121)})
    compare([producer, follower])
    assert producer.behind == 0 and follower.behind == 0
    assert follower.propagation_ms is not None and round(follower.propagation_ms) == 50


def test_a_node_whose_feed_stopped_short_is_behind_by_the_difference() -> None:
    producer = member("p", 120, {h: float(h) for h in range(100, 131)})
    follower = member("f", 118, {h: float(h) + 0.2 for h in range(100, 123)})
    down = member("d", 90, {})
    down.state = "down"
    compare([producer, follower, down])
    assert producer.behind == 0
    assert follower.behind == 8
    assert down.behind == 40  # a down node keeps its last known height

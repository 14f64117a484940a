"""Inclusion is timed to when the block feed announced the block, not to when the tracker got
round to fetching its hashes (it fetches at most every half second, to spare the node). The
tracker's chain is a fixed one here, to isolate the timing; the feed and the fetching are
exercised against real nodes by every transfers run. Run in a child process, as the load users
are (the module is gevent's)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.helpers.locust_child import run_child

CHILD = textwrap.dedent(
    """
    import json, time
    from app.load.locustfiles.engine import RUN
    from app.load.locustfiles.inclusion import InclusionTracker

    class FixedChain(InclusionTracker):
        def head(self):
            return 0
        def fetch(self, first, last):
            return [(1, ["0xaa"]), (2, ["0xbb"])][first - 1 : last]
        def _follow(self):
            return  # no feed: the test calls catch_up itself

    tracker = FixedChain("http://127.0.0.1:9")
    sent = time.time() - 10
    tracker.expect("0xaa", sent)
    tracker.expect("0xbb", sent)
    tracker.seen_at[1] = sent + 0.005  # the feed announced block 1 5 ms after the send
    tracker.catch_up(2)  # block 2 was not announced: timed to its fetch
    print(json.dumps({"inclusion": sorted(RUN.current.inclusion.items()),
                      "included": RUN.current.included, "seen_at": list(tracker.seen_at)}))
    """
)


def test_inclusion_is_timed_to_the_feeds_announcement(tmp_path: Path) -> None:
    got = run_child(CHILD, tmp_path)
    assert got["included"] == 2
    (announced, one), (fetched, other) = got["inclusion"]
    assert (announced, one, other) == (5.0, 1, 1)
    assert fetched >= 10_000  # the unannounced block: from the send to its fetch
    assert got["seen_at"] == []  # nothing kept once matched

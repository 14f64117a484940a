"""Stored runs in a real SQLite file: results, compare, and RUNNING rows left by a crash."""

from __future__ import annotations

from pathlib import Path

from app.storage.app_db import AppDb
from app.storage.test_runs import TestRunStore


def result(nodeid: str, outcome: str) -> dict:
    return {"nodeid": nodeid, "outcome": outcome, "duration": 0.1, "message": "", "longrepr": "",
            "output": ""}  # fmt: skip


async def test_runs_results_compare_and_interrupted_after_a_crash(tmp_path: Path) -> None:
    db = AppDb(tmp_path / "app.sqlite")
    store = TestRunStore(db)
    base = {"suites": ["conformance"], "target_url": "http://127.0.0.1:1"}
    old = await store.create(base)
    for nodeid, outcome in (("a", "passed"), ("b", "failed"), ("c", "passed")):
        await store.add_result(old["id"], result(nodeid, outcome))
    await store.finish(old["id"], "FAILED", {"passed": 2, "failed": 1}, 3)
    new = await store.create(base)
    for nodeid, outcome in (("a", "failed"), ("b", "passed"), ("d", "passed")):
        await store.add_result(new["id"], result(nodeid, outcome))
    assert await store.compare(old["id"], new["id"]) == {
        "newly_failing": ["a"], "newly_passing": ["b"], "added": ["d"], "removed": ["c"],
    }  # fmt: skip
    db.close()  # the app dies with run `new` still RUNNING

    db = AppDb(tmp_path / "app.sqlite")
    store = TestRunStore(db)
    assert await store.interrupt_running() == 1  # what the service does at start-up
    runs = await store.runs()
    db.close()
    assert [(r["id"], r["status"]) for r in runs] == [
        (new["id"], "INTERRUPTED"),
        (old["id"], "FAILED"),
    ]
    assert runs[1]["passed"] == 2 and runs[1]["suites"] == ["conformance"]

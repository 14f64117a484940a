"""Test runs and their per-test results in the app's SQLite (through `AppDb`'s one thread)."""

from __future__ import annotations

import json
import time
from typing import Any

from app.storage.app_db import AppDb

# Job states (DESIGN.md): RUNNING rows found at start-up were cut short by a crash or kill.
RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = (
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "CANCELLED",
    "INTERRUPTED",
)
COUNT_COLUMNS = {
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "skipped": "skipped",
    "n/a": "na",
}


def _create(db: Any) -> None:
    db["test_runs"].create(
        {
            "id": int,
            "suites": str,
            "target_url": str,
            "target_name": str,
            "kind": str,
            "node_version": str,
            "height_at_start": int,
            "status": str,
            "started": float,
            "finished": float,
            "total": int,
            "passed": int,
            "failed": int,
            "errors": int,
            "skipped": int,
            "na": int,
            "message": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["test_results"].create(
        {
            "run_id": int,
            "nodeid": str,
            "outcome": str,
            "duration": float,
            "message": str,
            "longrepr": str,
            "output": str,
        },
        pk=("run_id", "nodeid"),
        foreign_keys=[("run_id", "test_runs", "id")],
        if_not_exists=True,
    )
    db["test_runs"].create_index(["started"], if_not_exists=True)


def _run_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "suites": json.loads(row["suites"])}


class TestRunStore:
    __test__ = False

    def __init__(self, db: AppDb) -> None:
        self.app_db = db
        db.run(lambda: _create(db.db))

    def interrupt_running(self) -> int:
        """At start-up: runs left RUNNING by a crash become INTERRUPTED. Returns how many."""

        def mark() -> int:
            cursor = self.app_db.db.execute(
                "update test_runs set status = ?, finished = coalesce(finished, started), "
                "message = 'the app stopped during the run' where status = ?",
                [INTERRUPTED, RUNNING],
            )
            self.app_db.db.conn.commit()
            return cursor.rowcount

        return self.app_db.run(mark)

    async def create(self, run: dict[str, Any]) -> dict[str, Any]:
        row = {
            "suites": json.dumps(run["suites"]),
            "target_url": run["target_url"],
            "target_name": run.get("target_name", ""),
            "kind": run.get("kind", ""),
            "node_version": run.get("node_version", ""),
            "height_at_start": run.get("height_at_start", 0),
            "status": RUNNING,
            "started": time.time(),
            "finished": None,
            "total": 0,
            "message": "",
            **dict.fromkeys(COUNT_COLUMNS.values(), 0),
        }

        def insert() -> dict[str, Any]:
            table = self.app_db.db["test_runs"]
            table.insert(row)
            return _run_row(table.get(table.last_pk))

        return await self.app_db.call(insert)

    async def add_result(self, run_id: int, result: dict[str, Any]) -> None:
        row = {
            "run_id": run_id,
            **{
                k: result.get(k, "")
                for k in ("nodeid", "outcome", "duration", "message", "longrepr", "output")
            },
        }
        await self.app_db.call(
            lambda: self.app_db.db["test_results"].upsert(row, pk=("run_id", "nodeid"))
        )

    async def finish(
        self, run_id: int, status: str, counts: dict[str, int], total: int, message: str = ""
    ) -> dict[str, Any]:
        changes = {COUNT_COLUMNS[k]: v for k, v in counts.items()}
        changes.update(status=status, finished=time.time(), total=total, message=message)

        def update() -> dict[str, Any]:
            table = self.app_db.db["test_runs"]
            table.update(run_id, changes)
            return _run_row(table.get(run_id))

        return await self.app_db.call(update)

    async def runs(self, limit: int = 500) -> list[dict[str, Any]]:
        """Newest first."""

        def read() -> list[dict[str, Any]]:
            rows = self.app_db.db["test_runs"].rows_where(order_by="id desc", limit=limit)
            return [_run_row(r) for r in rows]

        return await self.app_db.call(read)

    async def run(self, run_id: int) -> dict[str, Any]:
        return await self.app_db.call(lambda: _run_row(self.app_db.db["test_runs"].get(run_id)))

    async def results(self, run_id: int) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            rows = self.app_db.db["test_results"].rows_where(
                "run_id = ?", [run_id], order_by="rowid"
            )
            return list(rows)

        return await self.app_db.call(read)

    async def compare(self, older: int, newer: int) -> dict[str, list[str]]:
        """What newly fails and what newly passes between two runs (by test id)."""
        before = {r["nodeid"]: r["outcome"] for r in await self.results(older)}
        after = {r["nodeid"]: r["outcome"] for r in await self.results(newer)}
        bad = ("failed", "error")
        return {
            "newly_failing": sorted(
                n for n, o in after.items() if o in bad and before.get(n) not in bad
            ),
            "newly_passing": sorted(
                n for n, o in after.items() if o == "passed" and before.get(n) in bad
            ),
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
        }

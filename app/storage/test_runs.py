"""Test runs and their per-test results in the app's SQLite (through `AppDb`'s one thread)."""

from __future__ import annotations

import json
from typing import Any

from app.jobs.status import RunStatus
from app.storage.app_db import AppDb
from app.storage.runs import RunStore, run_row

COUNT_COLUMNS = {
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "skipped": "skipped",
    "n/a": "na",
}
KIND = "test"
_SELECT = (
    "select runs.*, d.suites, d.node_kind, d.node_version, d.height_at_start, d.total, "
    "d.passed, d.failed, d.errors, d.skipped, d.na "
    "from runs join test_run_details d on d.run_id = runs.id"
)


def _run_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**run_row(row), "suites": json.loads(row["suites"])}


class TestRunStore:
    """A test run is a row of `runs` (kind `test`) and one of `test_run_details`; rows read
    from here have both, as one dict."""

    __test__ = False

    def __init__(self, db: AppDb) -> None:
        self.app_db = db
        self.runs_table = RunStore(db)

    async def interrupt_running(self) -> int:
        return await self.runs_table.interrupt_running()

    def _read(self, run_id: int) -> dict[str, Any]:
        rows = list(self.app_db.db.query(_SELECT + " where runs.id = ?", [run_id]))
        return _run_row(rows[0])

    async def create(self, run: dict[str, Any]) -> dict[str, Any]:
        detail = {
            "suites": json.dumps(run["suites"]),
            "node_kind": run.get("node_kind", ""),
            "node_version": run.get("node_version", ""),
            "height_at_start": run.get("height_at_start", 0),
            "total": 0,
            **dict.fromkeys(COUNT_COLUMNS.values(), 0),
        }

        def insert() -> dict[str, Any]:
            with self.app_db.db.conn:
                run_id = self.runs_table.insert_sync(
                    KIND, run["target_url"], run.get("target_name", "")
                )
                columns = ", ".join(["run_id", *detail])
                marks = ", ".join("?" * (len(detail) + 1))
                self.app_db.db.conn.execute(
                    f"insert into test_run_details ({columns}) values ({marks})",
                    [run_id, *detail.values()],
                )
            return self._read(run_id)

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
        self,
        run_id: int,
        status: RunStatus,
        counts: dict[str, int],
        total: int,
        message: str = "",
    ) -> dict[str, Any]:
        changes = {COUNT_COLUMNS[k]: v for k, v in counts.items()}
        changes["total"] = total
        summary = {"total": total, **{k: v for k, v in counts.items() if v}}

        def update() -> dict[str, Any]:
            with self.app_db.db.conn:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                self.app_db.db.conn.execute(
                    f"update test_run_details set {assignments} where run_id = ?",
                    [*changes.values(), run_id],
                )
                self.runs_table.finish_sync(run_id, status, message, summary)
            return self._read(run_id)

        return await self.app_db.call(update)

    async def runs(self, limit: int = 500) -> list[dict[str, Any]]:
        """Newest first."""

        def read() -> list[dict[str, Any]]:
            rows = self.app_db.db.query(_SELECT + " order by runs.id desc limit ?", [limit])
            return [_run_row(r) for r in rows]

        return await self.app_db.call(read)

    async def run(self, run_id: int) -> dict[str, Any]:
        return await self.app_db.call(lambda: self._read(run_id))

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

"""Runs of every kind in one table (kind, target, status, times, message, summary); each kind
keeps its own detail in a table of its own keyed by the run's id (`test_run_details`, ...)."""

from __future__ import annotations

import json
import time
from typing import Any

from app.jobs.status import RunStatus
from app.storage.app_db import AppDb

CUT_SHORT = "the app stopped during the run"


def run_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "summary": json.loads(row.get("summary") or "{}")}


class RunStore:
    def __init__(self, db: AppDb) -> None:
        self.app_db = db

    async def interrupt_running(self) -> int:
        """At start-up: runs of any kind left QUEUED or RUNNING by a crash or a kill become
        INTERRUPTED. Returns how many."""

        def mark() -> int:
            cursor = self.app_db.db.execute(
                "update runs set status = ?, finished = coalesce(finished, started), "
                "message = ? where status in (?, ?)",
                ["INTERRUPTED", CUT_SHORT, "QUEUED", "RUNNING"],
            )
            self.app_db.db.conn.commit()
            return cursor.rowcount

        return await self.app_db.call(mark)

    # -- on the database's thread, for a kind's store to combine with its own table ----------
    def insert_sync(self, kind: str, target_url: str, target_name: str) -> int:
        """Inside the caller's transaction (raw SQL: sqlite-utils would commit half of it)."""
        cursor = self.app_db.db.conn.execute(
            "insert into runs (kind, target_url, target_name, status, started, message, summary)"
            " values (?, ?, ?, ?, ?, '', '{}')",
            [kind, target_url, target_name, RunStatus.RUNNING.value, time.time()],
        )
        return int(cursor.lastrowid or 0)

    def finish_sync(
        self, run_id: int, status: RunStatus, message: str, summary: dict[str, Any] | None
    ) -> None:
        """Inside the caller's transaction."""
        self.app_db.db.conn.execute(
            "update runs set status = ?, finished = ?, message = ?, "
            "summary = coalesce(?, summary) where id = ?",
            [
                RunStatus(status).value,
                time.time(),
                message,
                None if summary is None else json.dumps(summary),
                run_id,
            ],
        )

    # -- from the event loop -------------------------------------------------------------------
    async def create(self, kind: str, target_url: str, target_name: str = "") -> dict[str, Any]:
        def insert() -> dict[str, Any]:
            with self.app_db.db.conn:
                run_id = self.insert_sync(kind, target_url, target_name)
            return run_row(self.app_db.db["runs"].get(run_id))

        return await self.app_db.call(insert)

    async def finish(
        self,
        run_id: int,
        status: RunStatus,
        message: str = "",
        summary: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        def update() -> dict[str, Any]:
            with self.app_db.db.conn:
                self.finish_sync(run_id, status, message, summary)
            return run_row(self.app_db.db["runs"].get(run_id))

        return await self.app_db.call(update)

    async def set_times(self, run_id: int, started: float, finished: float) -> None:
        """When it really ran (a run read from a CI report ran there, then)."""

        def update() -> None:
            with self.app_db.db.conn:
                self.app_db.db.conn.execute(
                    "update runs set started = ?, finished = ? where id = ?",
                    [started, finished, run_id],
                )

        await self.app_db.call(update)

    async def runs(self, kind: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Newest first; every kind, or one."""

        def read() -> list[dict[str, Any]]:
            where, args = ("kind = ?", [kind]) if kind else (None, [])
            rows = self.app_db.db["runs"].rows_where(where, args, order_by="id desc", limit=limit)
            return [run_row(r) for r in rows]

        return await self.app_db.call(read)

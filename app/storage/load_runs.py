"""Load runs in the app's SQLite: a row of `runs` (kind `load`) with its `load_run_details`, and
the run's once-a-second figures in `load_ticks`, written as they come so a run cut short by a
crash keeps its curves."""

from __future__ import annotations

import json
from typing import Any

from app.jobs.status import RunStatus
from app.storage.app_db import AppDb
from app.storage.runs import RunStore, run_row

KIND = "load"
_SELECT = (
    "select runs.*, d.scenario, d.node_kind, d.node_version, d.users, d.workers, d.hold_s, "
    "d.rate, d.options from runs join load_run_details d on d.run_id = runs.id"
)


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {**run_row(row), "options": json.loads(row.get("options") or "{}")}


class LoadRunStore:
    def __init__(self, db: AppDb) -> None:
        self.app_db = db
        self.runs_table = RunStore(db)

    def _read(self, run_id: int) -> dict[str, Any]:
        return _row(next(iter(self.app_db.db.query(_SELECT + " where runs.id = ?", [run_id]))))

    async def create(self, run: dict[str, Any]) -> dict[str, Any]:
        """`run`: target_url, target_name, scenario, node_kind, node_version, users, workers,
        hold_s, rate, options (what the form said, to run it again)."""

        def insert() -> dict[str, Any]:
            with self.app_db.db.conn:
                run_id = self.runs_table.insert_sync(KIND, run["target_url"], run["target_name"])
                self.app_db.db.conn.execute(
                    "insert into load_run_details values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        run_id,
                        run["scenario"],
                        run.get("node_kind", ""),
                        run.get("node_version", ""),
                        run["users"],
                        run["workers"],
                        run["hold_s"],
                        run.get("rate"),
                        json.dumps(run.get("options", {})),
                    ],
                )
            return self._read(run_id)

        return await self.app_db.call(insert)

    async def add_tick(self, run_id: int, tick: dict[str, Any]) -> None:
        def insert() -> None:
            with self.app_db.db.conn:
                self.app_db.db.conn.execute(
                    "insert or replace into load_ticks values (?, ?, ?)",
                    [run_id, int(tick["t"]), json.dumps(tick)],
                )

        await self.app_db.call(insert)

    async def finish(
        self, run_id: int, status: RunStatus, message: str, report: dict[str, Any] | None
    ) -> dict[str, Any]:
        def update() -> dict[str, Any]:
            with self.app_db.db.conn:
                self.runs_table.finish_sync(run_id, status, message, report)
            return self._read(run_id)

        return await self.app_db.call(update)

    async def runs(self, limit: int = 500) -> list[dict[str, Any]]:
        """Newest first."""

        def read() -> list[dict[str, Any]]:
            rows = self.app_db.db.query(_SELECT + " order by runs.id desc limit ?", [limit])
            return [_row(r) for r in rows]

        return await self.app_db.call(read)

    async def run(self, run_id: int) -> dict[str, Any]:
        return await self.app_db.call(lambda: self._read(run_id))

    async def ticks(self, run_id: int) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            rows = self.app_db.db.conn.execute(
                "select tick from load_ticks where run_id = ? order by t", [run_id]
            )
            return [json.loads(tick) for (tick,) in rows]

        return await self.app_db.call(read)

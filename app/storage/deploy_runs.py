"""Deployments in the app's SQLite: a row of `runs` (kind `deploy`) with its
`deploy_run_details` (the plan as it ran), and every event (steps, gate verdicts with their
figures, log lines) in `deploy_events`, written as they come so a deployment cut short keeps
what it did."""

from __future__ import annotations

import json
from typing import Any

from app.jobs.status import RunStatus
from app.storage.app_db import AppDb
from app.storage.runs import RunStore, run_row

KIND = "deploy"
_SELECT = (
    "select runs.*, d.plan_name, d.cluster, d.strategy, d.plan_text "
    "from runs join deploy_run_details d on d.run_id = runs.id"
)


class DeployRunStore:
    def __init__(self, db: AppDb) -> None:
        self.app_db = db
        self.runs_table = RunStore(db)
        self._seq: dict[int, int] = {}

    def _read(self, run_id: int) -> dict[str, Any]:
        return run_row(next(iter(self.app_db.db.query(_SELECT + " where runs.id = ?", [run_id]))))

    async def create(
        self, plan_name: str, cluster: str, strategy: str, plan_text: str, target_url: str
    ) -> dict[str, Any]:
        def insert() -> dict[str, Any]:
            with self.app_db.db.conn:
                run_id = self.runs_table.insert_sync(KIND, target_url, cluster)
                self.app_db.db.conn.execute(
                    "insert into deploy_run_details values (?, ?, ?, ?, ?)",
                    [run_id, plan_name, cluster, strategy, plan_text],
                )
            return self._read(run_id)

        return await self.app_db.call(insert)

    async def add_event(self, run_id: int, event: dict[str, Any]) -> None:
        seq = self._seq[run_id] = self._seq.get(run_id, 0) + 1

        def insert() -> None:
            with self.app_db.db.conn:
                self.app_db.db.conn.execute(
                    "insert into deploy_events values (?, ?, ?, ?, ?)",
                    [run_id, seq, event.get("t"), event.get("type"), json.dumps(event)],
                )

        await self.app_db.call(insert)

    async def finish(
        self, run_id: int, status: RunStatus, message: str, summary: dict[str, Any] | None
    ) -> dict[str, Any]:
        self._seq.pop(run_id, None)

        def update() -> dict[str, Any]:
            with self.app_db.db.conn:
                self.runs_table.finish_sync(run_id, status, message, summary)
            return self._read(run_id)

        return await self.app_db.call(update)

    async def runs(self, limit: int = 200) -> list[dict[str, Any]]:
        """Newest first."""

        def read() -> list[dict[str, Any]]:
            rows = self.app_db.db.query(_SELECT + " order by runs.id desc limit ?", [limit])
            return [run_row(r) for r in rows]

        return await self.app_db.call(read)

    async def events(self, run_id: int) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            rows = self.app_db.db.conn.execute(
                "select event from deploy_events where run_id = ? order by seq", [run_id]
            )
            return [json.loads(event) for (event,) in rows]

        return await self.app_db.call(read)

    async def marks(self, since: float) -> list[dict[str, Any]]:
        """Step and gate events since `since` (epoch s), oldest first: the health graphs'
        deployment marks."""

        def read() -> list[dict[str, Any]]:
            rows = self.app_db.db.conn.execute(
                "select event from deploy_events where t >= ? and type in ('step', 'gate', "
                "'summary') order by t",
                [since],
            )
            return [json.loads(event) for (event,) in rows]

        return await self.app_db.call(read)

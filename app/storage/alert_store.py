"""Alert rules (the user's thresholds) and the alert history, in the app's SQLite."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.health.alerts import DEFAULT_RULES, Alert, Rule
from app.storage.app_db import AppDb

HISTORY_KEEP = 5000  # newest alerts kept; older ones are dropped as new ones come


class AlertStore:
    def __init__(self, app_db: AppDb) -> None:
        self.app_db = app_db

    def rules_sync(self) -> list[Rule]:
        """The defaults, with the user's settings where saved."""

        def read() -> dict[str, dict[str, Any]]:
            return {r["key"]: r for r in self.app_db.db["alert_rules"].rows}

        saved = self.app_db.run(read)
        rules = []
        for rule in DEFAULT_RULES:
            row = saved.get(rule.key)
            if row is not None:
                rule = replace(
                    rule,
                    threshold=float(row["threshold"]),
                    duration_s=float(row["duration_s"]),
                    enabled=bool(row["enabled"]),
                )
            rules.append(rule)
        return rules

    async def save_rules(self, rules: list[Rule]) -> None:
        rows = [
            {
                "key": r.key,
                "threshold": r.threshold,
                "duration_s": r.duration_s,
                "enabled": int(r.enabled),
            }
            for r in rules
        ]
        await self.app_db.call(lambda: self.app_db.db["alert_rules"].upsert_all(rows, pk="key"))

    async def record(self, alert: Alert) -> None:
        """Insert a fired alert (giving it its id) or update a resolved one."""
        row = {
            "rule": alert.rule,
            "title": alert.title,
            "node": alert.node,
            "message": alert.message,
            "started": alert.started,
            "resolved": alert.resolved,
        }

        def write() -> int:
            table = self.app_db.db["alerts"]
            if alert.id is None:
                new_id = int(table.insert(row).last_pk)
                if new_id % 100 == 0:
                    self.app_db.db.execute(
                        "delete from alerts where id <= ?", [new_id - HISTORY_KEEP]
                    )
                    self.app_db.db.conn.commit()
                return new_id
            table.update(alert.id, row)
            return alert.id

        alert.id = await self.app_db.call(write)

    async def history(self, limit: int = 500) -> list[Alert]:
        def read() -> list[Alert]:
            rows = self.app_db.db.query("select * from alerts order by id desc limit ?", [limit])
            return [
                Alert(
                    r["rule"],
                    r["title"],
                    r["node"],
                    r["message"],
                    r["started"],
                    r["resolved"],
                    id=r["id"],
                )
                for r in rows
            ]

        return await self.app_db.call(read)

    async def close_open(self, now: float) -> None:
        """Alerts left firing by a previous run end at its stop: they are not known now."""

        def write() -> None:
            self.app_db.db.execute("update alerts set resolved = ? where resolved is null", [now])
            self.app_db.db.conn.commit()

        await self.app_db.call(write)

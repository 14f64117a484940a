"""Clusters in the app's SQLite: named groups of node connections.

A *saved* cluster lists the URLs of nodes someone else runs; a *local* cluster is one the app
starts itself (a producer and N followers), whose member URLs are those of its last start.
"""

from __future__ import annotations

import json
from typing import Any

from app.storage.app_db import AppDb

SAVED = "saved"
LOCAL = "local"


class ClusterStore:
    def __init__(self, app_db: AppDb) -> None:
        self.app_db = app_db

    def all_sync(self) -> list[dict[str, Any]]:
        return self.app_db.run(self._all)

    async def all(self) -> list[dict[str, Any]]:
        return await self.app_db.call(self._all)

    def _all(self) -> list[dict[str, Any]]:
        rows = list(self.app_db.db["clusters"].rows_where(order_by="name"))
        for row in rows:
            row["urls"] = json.loads(row["urls"] or "[]")
        return rows

    async def save(self, cluster: dict[str, Any]) -> None:
        row = {**cluster, "urls": json.dumps(cluster.get("urls", []))}
        await self.app_db.call(lambda: self.app_db.db["clusters"].upsert(row, pk="name"))

    async def delete(self, name: str) -> None:
        def delete() -> None:
            self.app_db.db.execute("delete from clusters where name = ?", [name])
            self.app_db.db.conn.commit()

        await self.app_db.call(delete)

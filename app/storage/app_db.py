"""The app's SQLite file: profiles, settings, clusters, alerts and runs (its shape and versions
are in `app_schema.py`). One dedicated thread owns the connection, so callers on the event loop
`await db.call(...)` and never block the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from app.storage.app_schema import STEPS
from app.storage.db_thread import DbThread
from app.storage.migrations import migrate


class AppDb(DbThread):
    def __init__(self, path: Path) -> None:
        super().__init__("app-db")
        self.path = path
        self._db: sqlite_utils.Database | None = None
        self.run(self._open)

    def _open(self) -> None:
        self._db = sqlite_utils.Database(self.path)
        self._db.execute("PRAGMA journal_mode=WAL")
        migrate(self._db.conn, STEPS, f"the app database {self.path}")

    @property
    def db(self) -> sqlite_utils.Database:
        assert self._db is not None
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self.run(self.db.close)
            self._db = None
        self.shutdown()

    # -- profiles ----------------------------------------------------------------------------
    def profiles_sync(self) -> list[dict[str, Any]]:
        return self.run(lambda: list(self.db["profiles"].rows_where(order_by="name")))

    async def profiles(self) -> list[dict[str, Any]]:
        return await self.call(lambda: list(self.db["profiles"].rows_where(order_by="name")))

    async def save_profile(self, profile: dict[str, Any]) -> None:
        await self.call(lambda: self.db["profiles"].upsert(profile, pk="name"))

    async def delete_profile(self, name: str) -> None:
        def delete() -> None:
            self.db.execute("delete from profiles where name = ?", [name])
            self.db.conn.commit()

        await self.call(delete)

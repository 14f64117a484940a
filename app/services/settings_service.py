"""The app's settings (theme, window geometry, devnet options, suite folders): read once at
start-up, then served from memory; a change is written on the database's own thread without
the window waiting for it, and every write has landed when the service stops."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.storage.app_db import AppDb

log = logging.getLogger("chaindeck.settings")


class SettingsService(QObject):
    settingChanged = Signal(str, object)  # key, new value

    def __init__(self, db: AppDb, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self._values: dict[str, Any] = db.run(self._read_all)  # before the loop: blocking is fine
        self._writes: list[Future[None]] = []

    def _read_all(self) -> dict[str, Any]:
        rows = self.db.db.query("select key, value from settings")
        return {row["key"]: json.loads(row["value"]) for row in rows}

    def get(self, key: str, default: Any = None) -> Any:
        """A copy: changing it changes nothing until `set`."""
        return copy.deepcopy(self._values.get(key, default))

    def set(self, key: str, value: Any) -> None:
        if self._values.get(key) == value:
            return
        self._values[key] = copy.deepcopy(value)
        text = json.dumps(value)
        future = self.db.submit(
            lambda: self.db.db["settings"].upsert({"key": key, "value": text}, pk="key")
        )
        self._writes = [f for f in self._writes if not f.done()] + [future]
        future.add_done_callback(_log_failure)
        self.settingChanged.emit(key, value)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        """Wait for the writes still on their way."""
        pending = [asyncio.wrap_future(f) for f in self._writes if not f.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        self._writes.clear()


def _log_failure(future: Future[None]) -> None:
    if future.exception() is not None:
        log.error("a setting could not be saved: %s", future.exception())

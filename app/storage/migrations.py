"""Schema versions for the app's SQLite files: a ladder of steps numbered by `PRAGMA
user_version`, so a database written by an older ChainDeck upgrades in place when it opens.

Each step runs in one transaction with the version bump: a crash mid-step leaves the old
version and the old tables, and the next start tries again. Steps are never edited once
released; a change of shape is a new step at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

Step = Callable[[sqlite3.Connection], None]


class SchemaError(Exception):
    """A database this ChainDeck cannot use; the message is for the user."""


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, steps: Sequence[Step], what: str) -> int:
    """Bring `conn` up to `len(steps)`; returns the version it had."""
    before = version(conn)
    if before > len(steps):
        raise SchemaError(
            f"{what} was written by a newer ChainDeck (schema {before}; this one knows up to "
            f"{len(steps)}): update ChainDeck, or move the file aside to start afresh"
        )
    for number in range(before + 1, len(steps) + 1):
        if conn.in_transaction:
            conn.commit()
        conn.execute("BEGIN IMMEDIATE")
        try:
            steps[number - 1](conn)
            conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    return before

"""Health history in SQLite, two tiers: every second for the last hour (tier 0) and one-minute
means for seven days (tier 1). Old rows are pruned, so the file stays bounded whatever runs.

One row per node and instant, a column per metric (app/health/series.py), in a WITHOUT ROWID
table keyed (tier, node, t): a range read of one node is one index scan. Values are kept as
integer hundredths: SQLite stores a small integer in 1-4 bytes where a REAL always takes 8, which
halves the file (tests/bench/metrics_store_size.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from app.health.series import METRICS, Row
from app.storage.db_thread import DbThread
from app.storage.migrations import Step, migrate

SECONDS = 0
MINUTES = 1
KEEP_S = {SECONDS: 3600, MINUTES: 7 * 24 * 3600}
SCALE = 100  # two decimals, as app.health.series.clean keeps them


def _packed(value: float | None) -> int | None:
    return None if value is None else round(value * SCALE)


def _unpacked(value: int | None) -> float | None:
    return None if value is None else value / SCALE


def _v1_before_versions(conn: sqlite3.Connection) -> None:
    """The shape of every release before versions: IF NOT EXISTS keeps such a file as it is."""
    conn.execute("create table if not exists nodes (id integer primary key, name text unique)")
    columns = ", ".join(f"{m} integer" for m in V1_METRICS)
    conn.execute(
        f"create table if not exists samples (tier integer, node integer, t integer, "
        f"{columns}, primary key (tier, node, t)) without rowid"
    )


STEPS: tuple[Step, ...] = (_v1_before_versions,)
V1_METRICS = (
    "cpu_pct", "mem_mb", "mem_pct", "latency_p50", "latency_p95", "block_time", "tx_per_s",
    "mempool", "peers", "height", "behind", "error_pct", "up",
)  # fmt: skip


def _add_new_metrics(conn: sqlite3.Connection) -> None:
    """A metric appended to METRICS gets its column in an existing file (empty for the past),
    so a new metric never needs a hand-written step."""
    have = {row[1] for row in conn.execute("pragma table_info(samples)")}
    for metric in METRICS:
        if metric not in have:
            conn.execute(f"alter table samples add column {metric} integer")
    conn.commit()


class MetricsStore(DbThread):
    def __init__(self, path: Path) -> None:
        super().__init__("metrics-db")
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._ids: dict[str, int] = {}
        self.run(self._open)

    def _open(self) -> None:
        conn = sqlite3.connect(self.path, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # history: losing the last second is fine
        migrate(conn, STEPS, f"the health history {self.path}")
        _add_new_metrics(conn)
        conn.commit()
        self._conn = conn
        self._ids = {name: i for i, name in conn.execute("select id, name from nodes")}

    @property
    def conn(self) -> sqlite3.Connection:
        assert self._conn is not None
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self.run(self.conn.close)
            self._conn = None
        self.shutdown()

    # -- on the store's thread ----------------------------------------------------------------
    def _node_id(self, name: str) -> int:
        if name not in self._ids:
            # lastrowid is stale when the insert is ignored: read the id back instead.
            self.conn.execute("insert or ignore into nodes (name) values (?)", [name])
            row = self.conn.execute("select id from nodes where name = ?", [name]).fetchone()
            self._ids[name] = int(row[0])
        return self._ids[name]

    def write_sync(self, tier: int, rows: Sequence[tuple[str, int, Row]]) -> None:
        marks = ", ".join("?" * (3 + len(METRICS)))
        values = [
            (tier, self._node_id(node), t, *(_packed(row.get(m)) for m in METRICS))
            for node, t, row in rows
        ]
        columns = ", ".join(("tier", "node", "t", *METRICS))
        self.conn.executemany(
            f"insert or replace into samples ({columns}) values ({marks})", values
        )
        self.conn.commit()

    def read_sync(self, tier: int, node: str, since: int) -> list[tuple[int, Row]]:
        if node not in self._ids:
            return []
        cursor = self.conn.execute(
            f"select t, {', '.join(METRICS)} from samples "
            "where tier = ? and node = ? and t >= ? order by t",
            [tier, self._ids[node], since],
        )
        return [
            (r[0], {m: _unpacked(v) for m, v in zip(METRICS, r[1:], strict=True)}) for r in cursor
        ]

    def prune_sync(self, now: int) -> int:
        removed = 0
        for tier, keep in KEEP_S.items():
            cursor = self.conn.execute(
                "delete from samples where tier = ? and t < ?", [tier, now - keep]
            )
            removed += cursor.rowcount
        self.conn.commit()
        return removed

    def node_names_sync(self) -> list[str]:
        return sorted(self._ids)

    def size_bytes_sync(self) -> int:
        """Pages in use (the file may hold free pages after a prune; they are reused)."""
        pages = self.conn.execute("pragma page_count").fetchone()[0]
        free = self.conn.execute("pragma freelist_count").fetchone()[0]
        size = self.conn.execute("pragma page_size").fetchone()[0]
        return int((pages - free) * size)

    # -- from the event loop -------------------------------------------------------------------
    async def write(self, tier: int, rows: Sequence[tuple[str, int, Row]]) -> None:
        if rows:
            await self.call(lambda: self.write_sync(tier, rows))

    async def read(self, tier: int, node: str, since: int) -> list[tuple[int, Row]]:
        return await self.call(lambda: self.read_sync(tier, node, since))

    async def prune(self, now: int) -> int:
        return await self.call(lambda: self.prune_sync(now))

    async def size_bytes(self) -> int:
        return await self.call(self.size_bytes_sync)

"""Both app databases carry a schema version and upgrade in place: a database written by the
release before versions opens with everything in it, a newer one is refused with a reason, a
step that fails leaves the file as it was, and runs of every kind cut short by a crash are
INTERRUPTED at the next start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.health.series import METRICS
from app.jobs.status import RunStatus
from app.services.settings_service import SettingsService
from app.storage import app_schema
from app.storage.app_db import AppDb
from app.storage.clusters import ClusterStore
from app.storage.metrics_store import SECONDS, MetricsStore
from app.storage.migrations import SchemaError, migrate, version
from app.storage.runs import RunStore
from app.storage.test_runs import TestRunStore

BEFORE = Path(__file__).parents[1] / "data" / "app-db-before-versions.sql"


def old_database(path: Path) -> Path:
    """chaindeck.db as the release before versions wrote it (dumped from that release)."""
    conn = sqlite3.connect(path)
    conn.executescript(BEFORE.read_text())
    conn.close()
    return path


async def test_a_database_from_before_versions_upgrades_with_everything_kept(
    tmp_path: Path,
) -> None:
    path = old_database(tmp_path / "chaindeck.db")
    db = AppDb(path)
    try:
        assert db.run(lambda: version(db.db.conn)) == len(app_schema.STEPS)
        assert SettingsService(db).get("theme") == "dark"
        assert [p["name"] for p in db.profiles_sync()] == ["lab"]
        assert [c["urls"] for c in ClusterStore(db).all_sync()] == [["http://127.0.0.1:1"]]
        store = TestRunStore(db)
        assert await store.interrupt_running() == 1  # run 2 was RUNNING when that app stopped
        runs = await store.runs()
        assert [(r["id"], r["kind"], r["status"]) for r in runs] == [
            (2, "test", "INTERRUPTED"),
            (1, "test", "FAILED"),
        ]
        old = runs[1]
        assert old["suites"] == ["conformance"] and old["node_kind"] == "native"
        assert (old["passed"], old["failed"], old["total"], old["height_at_start"]) == (1, 1, 2, 7)
        assert [r["outcome"] for r in await store.results(1)] == ["passed", "failed"]
        assert (await store.compare(1, 2))["added"] == ["e2e/test_b.py::test_x"]
        new = await store.create({"suites": ["e2e"], "target_url": "http://127.0.0.1:2"})
        assert new["id"] == 3 and new["status"] == RunStatus.RUNNING
        await store.finish(3, RunStatus.SUCCEEDED, {"passed": 4}, 4)
        assert (await store.run(3))["summary"] == {"total": 4, "passed": 4}
    finally:
        db.close()
    again = AppDb(path)  # opening an up-to-date file changes nothing
    try:
        assert len(again.run(lambda: list(again.db.query("select id from runs")))) == 3
    finally:
        again.close()


def test_a_database_from_a_newer_chaindeck_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "chaindeck.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(app_schema.STEPS) + 5}")
    conn.close()
    with pytest.raises(SchemaError, match="newer ChainDeck"):
        AppDb(path)
    conn = sqlite3.connect(path)
    assert version(conn) == len(app_schema.STEPS) + 5
    assert not conn.execute("select name from sqlite_master").fetchall()
    conn.close()


def test_a_step_that_fails_leaves_the_old_version_and_tables(tmp_path: Path) -> None:
    conn = sqlite3.connect(old_database(tmp_path / "chaindeck.db"))

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("create table half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, (app_schema.STEPS[0], broken), "test")
    assert version(conn) == 1  # the first step landed, the second did not
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert "half_done" not in tables and "test_runs" in tables
    conn.close()


async def test_runs_of_every_kind_cut_short_become_interrupted(tmp_path: Path) -> None:
    db = AppDb(tmp_path / "chaindeck.db")
    runs = RunStore(db)
    for kind in ("test", "load", "deploy"):
        await runs.create(kind, "http://127.0.0.1:8645", "Devnet")
    done = await runs.create("load", "http://127.0.0.1:8645")
    await runs.finish(done["id"], RunStatus.FAILED, "threshold missed", {"p95": 812})
    db.close()  # the app dies with three runs RUNNING

    db = AppDb(tmp_path / "chaindeck.db")
    try:
        runs = RunStore(db)
        assert await runs.interrupt_running() == 3
        rows = await runs.runs()
        assert {(r["kind"], r["status"]) for r in rows[1:]} == {
            ("test", "INTERRUPTED"),
            ("load", "INTERRUPTED"),
            ("deploy", "INTERRUPTED"),
        }
        assert all(r["message"] == "the app stopped during the run" for r in rows[1:])
        assert rows[0]["summary"] == {"p95": 812} and rows[0]["status"] == "FAILED"
        assert [r["kind"] for r in await runs.runs("load")] == ["load", "load"]
    finally:
        db.close()


def test_the_health_history_gets_a_version_and_new_metrics_get_columns(tmp_path: Path) -> None:
    path = tmp_path / "metrics.db"
    conn = sqlite3.connect(path)  # an older file that lacks the last metric
    conn.execute("create table nodes (id integer primary key, name text unique)")
    older = ", ".join(f"{m} integer" for m in METRICS[:-1])
    conn.execute(
        f"create table samples (tier integer, node integer, t integer, {older}, "
        "primary key (tier, node, t)) without rowid"
    )
    conn.execute("insert into nodes values (1, 'Devnet')")
    conn.execute("insert into samples (tier, node, t, cpu_pct) values (0, 1, 100, 1250)")
    conn.commit()
    conn.close()
    store = MetricsStore(path)
    try:
        assert store.read_sync(SECONDS, "Devnet", 0) == [
            (100, {m: (12.5 if m == "cpu_pct" else None) for m in METRICS})
        ]
        store.write_sync(SECONDS, [("Devnet", 101, {METRICS[-1]: 1.0, "cpu_pct": 3.0})])
        assert store.read_sync(SECONDS, "Devnet", 101)[0][1][METRICS[-1]] == 1.0
        assert store.run(lambda: version(store.conn)) == 1
    finally:
        store.close()

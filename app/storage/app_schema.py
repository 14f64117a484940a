"""The shape of the app's database (chaindeck.db), one step per schema version.

Step 1 is the shape of every release before versions existed, written with IF NOT EXISTS so such
a database passes through it unchanged. Step 2 gives every kind of run (tests, load, deployments)
one `runs` table and a detail table per kind, keeping test run ids.
"""

from __future__ import annotations

import sqlite3

from app.storage.migrations import Step


def _v1_before_versions(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS profiles (
            name TEXT PRIMARY KEY, url TEXT, username TEXT, kind TEXT);
        CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE IF NOT EXISTS test_runs (
            id INTEGER PRIMARY KEY, suites TEXT, target_url TEXT, target_name TEXT, kind TEXT,
            node_version TEXT, height_at_start INTEGER, status TEXT, started REAL,
            finished REAL, total INTEGER, passed INTEGER, failed INTEGER, errors INTEGER,
            skipped INTEGER, na INTEGER, message TEXT);
        CREATE TABLE IF NOT EXISTS test_results (
            run_id INTEGER REFERENCES test_runs(id), nodeid TEXT, outcome TEXT,
            duration REAL, message TEXT, longrepr TEXT, output TEXT,
            PRIMARY KEY (run_id, nodeid));
        CREATE INDEX IF NOT EXISTS idx_test_runs_started ON test_runs (started);
        CREATE TABLE IF NOT EXISTS alert_rules (
            key TEXT PRIMARY KEY, threshold REAL, duration_s REAL, enabled INTEGER);
        CREATE TABLE IF NOT EXISTS alerts (
            id INTEGER PRIMARY KEY, rule TEXT, title TEXT, node TEXT, message TEXT,
            started REAL, resolved REAL);
        CREATE INDEX IF NOT EXISTS idx_alerts_started ON alerts (started);
        CREATE TABLE IF NOT EXISTS clusters (
            name TEXT PRIMARY KEY, kind TEXT, urls TEXT, username TEXT, followers INTEGER);
        """,
    )


def _v2_one_runs_table(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY, kind TEXT NOT NULL, target_url TEXT, target_name TEXT,
            status TEXT NOT NULL, started REAL, finished REAL, message TEXT,
            summary TEXT NOT NULL DEFAULT '{}');
        CREATE INDEX idx_runs_kind_started ON runs (kind, started);
        CREATE INDEX idx_runs_status ON runs (status);
        CREATE TABLE test_run_details (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id), suites TEXT, node_kind TEXT,
            node_version TEXT, height_at_start INTEGER, total INTEGER, passed INTEGER,
            failed INTEGER, errors INTEGER, skipped INTEGER, na INTEGER);
        INSERT INTO runs (id, kind, target_url, target_name, status, started, finished, message)
            SELECT id, 'test', target_url, target_name, status, started, finished, message
            FROM test_runs;
        INSERT INTO test_run_details
            SELECT id, suites, kind, node_version, height_at_start, total, passed, failed,
                errors, skipped, na
            FROM test_runs;
        ALTER TABLE test_results RENAME TO test_results_v1;
        CREATE TABLE test_results (
            run_id INTEGER REFERENCES runs(id), nodeid TEXT, outcome TEXT,
            duration REAL, message TEXT, longrepr TEXT, output TEXT,
            PRIMARY KEY (run_id, nodeid));
        INSERT INTO test_results SELECT * FROM test_results_v1;
        DROP TABLE test_results_v1;
        DROP TABLE test_runs;
        """,
    )


def _v3_load_runs(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE load_run_details (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id), scenario TEXT, node_kind TEXT,
            node_version TEXT, users INTEGER, workers INTEGER, hold_s REAL, rate REAL,
            options TEXT NOT NULL DEFAULT '{}');
        CREATE TABLE load_ticks (
            run_id INTEGER REFERENCES runs(id), t INTEGER, tick TEXT,
            PRIMARY KEY (run_id, t));
        """,
    )


def _v4_deployments(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE deploy_run_details (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id), plan_name TEXT, cluster TEXT,
            strategy TEXT, plan_text TEXT NOT NULL DEFAULT '');
        CREATE TABLE deploy_events (
            run_id INTEGER REFERENCES runs(id), seq INTEGER, t REAL, type TEXT, event TEXT,
            PRIMARY KEY (run_id, seq));
        """,
    )


def _script(conn: sqlite3.Connection, sql: str) -> None:
    """`executescript` would COMMIT first and break the step's transaction: one by one."""
    for statement in sql.split(";"):
        if statement.strip():
            conn.execute(statement)


STEPS: tuple[Step, ...] = (
    _v1_before_versions,
    _v2_one_runs_table,
    _v3_load_runs,
    _v4_deployments,
)

"""Rollbacks with `chaindeck deploy` on real local clusters: a version the conformance gate
catches, an abort, a load gate that misses its threshold."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.deploy.support import (
    Transfers,
    chaindeck,
    cluster_nodes,
    events,
    local_cluster,
    operator,
    write_plan,
)


def test_a_version_that_breaks_the_public_contract_is_rolled_back(tmp_path: Path) -> None:
    with local_cluster(tmp_path, "lab", 1) as nodes:
        plan = write_plan(
            tmp_path,
            """
name = "private nodes"
cluster = "lab"
strategy = "canary"
[version]
args = ["--private"]
[[gates]]
kind = "health"
within = "20s"
[[gates]]
kind = "test"
suites = ["conformance"]
""",
        )
        urls = [n["url"] for n in nodes]
        with Transfers(urls, operator(tmp_path, "lab")) as transfers:
            run = chaindeck("deploy", str(plan), "--json", data_dir=tmp_path)
        assert run.returncode == 1, run.stdout + run.stderr
        lines = events(run.stdout)
        gates = [(e["gate"], e["status"]) for e in lines if e["type"] == "gate"]
        # The canary passes health (as the operator) and fails conformance; the restored node
        # passes both again.
        assert gates == [
            ("health (behind ≤ 2, within 20 s)", "passed"),
            ("test conformance", "failed"),
            ("health (behind ≤ 2, within 20 s)", "passed"),
            ("test conformance", "passed"),
        ]
        failed = next(e for e in lines if e["type"] == "gate" and e["status"] == "failed")
        assert "lab follower 1" in failed["detail"] and "failed of" in failed["detail"]
        undo = [(e["action"], e["status"]) for e in lines if e["type"] == "step"]
        assert undo == [
            ("upgrade", "started"),
            ("upgrade", "done"),
            ("rollback", "started"),
            ("rollback", "done"),
        ]
        summary = lines[-1]
        assert summary["status"] == "rolled_back" and "conformance" in summary["reason"]
        after = cluster_nodes(tmp_path, "lab")
        assert all(n["version"]["args"] == [] and n["running"] for n in after)
        assert httpx.get(after[1]["url"] + "/health").status_code == 200  # public again
        assert len(transfers.accepted) > 10
        for node in after:
            assert transfers.unconfirmed(node["url"]) == []
        # The follower's chain was backed up before it changed.
        backups = list((tmp_path / "deployments").glob("*/backups/follower-1.sqlite3"))
        assert len(backups) == 1


def test_abort_mid_way_rolls_back(tmp_path: Path) -> None:
    with local_cluster(tmp_path, "lab", 2) as nodes:
        plan = write_plan(
            tmp_path,
            'name = "slow"\ncluster = "lab"\n[version]\nargs = ["--max-ws-clients", "50"]\n'
            '[[gates]]\nkind = "wait"\nduration = "5m"\n',
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "deploy",
                str(plan),
                "--json",
                "--data-dir",
                str(tmp_path),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(json.loads(line))
            if seen[-1] == {**seen[-1], "type": "step", "status": "done"}:
                break
        proc.send_signal(signal.SIGTERM)  # as CI cancelling a job does
        rest, _ = proc.communicate(timeout=120)
        lines = seen + events(rest)
        assert proc.returncode == 1
        summary = lines[-1]
        assert summary["status"] == "aborted" and summary["reason"] == "aborted by the user"
        assert ("rollback", "done") in [(e.get("action"), e.get("status")) for e in lines]
        after = cluster_nodes(tmp_path, "lab")
        assert all(n["running"] and n["version"]["args"] == [] for n in after)
        assert after[2]["pid"] == nodes[2]["pid"]  # the second follower was never touched


def test_a_load_gate_that_misses_its_threshold_rolls_back(tmp_path: Path) -> None:
    with local_cluster(tmp_path, "lab", 1):
        plan = write_plan(
            tmp_path,
            """
name = "under load"
cluster = "lab"
[version]
args = ["--max-ws-clients", "90"]
[[gates]]
kind = "load"
scenario = "transfers"
users = 2
duration = "2s"
thresholds = ["errors<5%", "included_tps>=100000/s"]
""",
        )
        run = chaindeck("deploy", str(plan), "--json", data_dir=tmp_path)
        assert run.returncode == 1, run.stdout + run.stderr
        lines = events(run.stdout)
        gate = next(e for e in lines if e["type"] == "gate")
        assert gate["gate"] == "load transfers (2 users, 2 s)" and gate["status"] == "failed"
        assert gate["detail"].startswith("FAIL included_tps = ")
        assert "< 100,000/s (-" in gate["detail"]  # by how much
        assert lines[-1]["status"] == "rolled_back"
        assert all(n["version"]["args"] == [] for n in cluster_nodes(tmp_path, "lab"))

"""`chaindeck deploy` on real local clusters (background nodes on 127.0.0.1): the strategies,
the gates and the rollback as a user and a CI script see them (events, exit codes)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
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


def test_a_rolling_block_time_change_every_node_runs_it_and_no_transfer_is_lost(
    tmp_path: Path,
) -> None:
    with local_cluster(tmp_path, "staging", 2) as nodes:
        plan = write_plan(
            tmp_path,
            """
name = "one-second blocks"
cluster = "staging"
strategy = "rolling"

[version]
args = ["--block-time", "0.5"]

[[gates]]
kind = "health"
max_behind = 2
within = "20s"

[[gates]]
kind = "metric"
metric = "behind"
condition = "<= 3"
interval = "1s"
count = 2
""",
        )
        pids = [n["pid"] for n in nodes]
        dry = chaindeck("deploy", str(plan), "--dry-run", data_dir=tmp_path)
        assert dry.returncode == 0, dry.stderr
        assert "nothing changes" in dry.stdout
        order = [line for line in dry.stdout.splitlines() if line[:2] in ("1.", "2.", "3.")]
        assert order == [
            "1. upgrade staging follower 1",
            "2. upgrade staging follower 2",
            "3. upgrade staging producer",
        ]
        assert "--block-time 0.5" in dry.stdout and "rollback: restart" in dry.stdout
        assert [n["pid"] for n in cluster_nodes(tmp_path, "staging")] == pids  # unchanged

        urls = [n["url"] for n in nodes]
        with Transfers(urls, operator(tmp_path, "staging")) as transfers:
            run = chaindeck("deploy", str(plan), "--json", data_dir=tmp_path)
        assert run.returncode == 0, run.stdout + run.stderr
        lines = events(run.stdout)
        steps = [(e["node"], e["status"]) for e in lines if e["type"] == "step"]
        assert steps == [
            ("staging follower 1", "started"),
            ("staging follower 1", "done"),
            ("staging follower 2", "started"),
            ("staging follower 2", "done"),
            ("staging producer", "started"),
            ("staging producer", "done"),
        ]
        gates = [e for e in lines if e["type"] == "gate"]
        assert len(gates) == 6 and all(g["status"] == "passed" for g in gates)
        assert "behind ≤ 2" in gates[0]["detail"]
        summary = lines[-1]
        assert summary["type"] == "summary" and summary["status"] == "succeeded"
        assert summary["plan"] == "one-second blocks"
        assert set(summary["to"].values()) == {"this build --block-time 0.5"}
        assert set(summary["from"].values()) == {"this build"}

        after = cluster_nodes(tmp_path, "staging")
        assert all(n["running"] and n["version"]["args"] == ["--block-time", "0.5"] for n in after)
        assert all(a["pid"] != b for a, b in zip(after, pids, strict=True))  # each restarted
        status = httpx.get(after[0]["url"] + "/api/v1/network/status").json()
        assert status["blockTime"] == 0.5
        # Recorded in the app's history, every event with it.
        with sqlite3.connect(tmp_path / "chaindeck.db") as db:
            kind, state, name = db.execute("select kind, status, target_name from runs").fetchone()
            assert (kind, state, name) == ("deploy", "SUCCEEDED", "staging")
            kinds = [k for (k,) in db.execute("select type from deploy_events order by seq")]
            assert kinds[0] == "plan" and "log" in kinds
            assert [k for k in kinds if k in ("step", "gate", "summary")] == [
                e["type"] for e in lines
            ]
        # Every transfer a node accepted while the producer restarted is on the chain.
        assert len(transfers.accepted) > 10
        assert transfers.unconfirmed(after[0]["url"]) == []


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


def test_a_build_that_does_not_start_is_rolled_back(tmp_path: Path) -> None:
    with local_cluster(tmp_path, "lab", 1):
        plan = write_plan(
            tmp_path,
            'name = "broken"\ncluster = "lab"\n[version]\nexecutable = "/bin/false"\n'
            '[[gates]]\nkind = "health"\n',
        )
        run = chaindeck("deploy", str(plan), data_dir=tmp_path)
        assert run.returncode == 1
        assert "step 1: upgrade lab follower 1 failed: lab follower 1 exited (1)" in run.stdout
        assert "rolling back" in run.stdout
        assert "deployment “broken”: rolled back" in run.stdout
        after = cluster_nodes(tmp_path, "lab")
        assert all(n["running"] and n["version"]["executable"] is None for n in after)


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


def test_approval_canary_and_blue_green(tmp_path: Path) -> None:
    with local_cluster(tmp_path, "lab", 2) as nodes:
        approve = """
name = "canary with a person"
cluster = "lab"
strategy = "canary"
[version]
args = ["--max-ws-clients", "60"]
[[gates]]
kind = "approve"
timeout = "1m"
"""
        plan = write_plan(tmp_path, approve)
        refused = chaindeck("deploy", str(plan), data_dir=tmp_path)
        assert refused.returncode == 1
        assert "nobody to ask (run with --yes to approve)" in refused.stdout
        assert "FAIL approve on lab follower 1: not approved" in refused.stdout

        approved = chaindeck("deploy", str(plan), "--yes", "--json", data_dir=tmp_path)
        assert approved.returncode == 0, approved.stdout + approved.stderr
        lines = events(approved.stdout)
        started = [e for e in lines if e["type"] == "step" and e["status"] == "started"]
        assert [(e["node"], e["note"]) for e in started] == [
            ("lab follower 1", "canary"),
            ("lab follower 2", ""),
            ("lab producer", ""),
        ]
        assert lines[-1]["status"] == "succeeded"

        blue_green = write_plan(
            tmp_path,
            'name = "green"\ncluster = "lab"\nstrategy = "blue-green"\n'
            '[version]\nargs = ["--max-ws-clients", "70"]\n'
            '[[gates]]\nkind = "health"\nwithin = "20s"\n',
        )
        run = chaindeck("deploy", str(blue_green), "--json", data_dir=tmp_path)
        assert run.returncode == 0, run.stdout + run.stderr
        actions = [
            (e["action"], e["node"])
            for e in events(run.stdout)
            if e["type"] == "step" and e["status"] == "done"
        ]
        assert actions == [
            ("add", "lab follower 3"),
            ("add", "lab follower 4"),
            ("switch", "lab follower 1"),
            ("switch", "lab follower 2"),
            ("upgrade", "lab producer"),
        ]
        after = cluster_nodes(tmp_path, "lab")
        assert [n["name"] for n in after] == ["lab producer", "lab follower 3", "lab follower 4"]
        assert all(n["running"] and n["version"]["args"][-1] == "70" for n in after)
        old = {n["pid"] for n in nodes[1:]}
        time.sleep(0.2)
        for pid in old:
            assert (
                not Path(f"/proc/{pid}").exists()
                or "zombie" in Path(f"/proc/{pid}/status").read_text()
            )


def test_invalid_plans_exit_2_naming_the_field(tmp_path: Path) -> None:
    head = 'name = "x"\ncluster = "c"\n'
    cases = {
        'name = "x"\ncluster = "nowhere"\n': "cluster: no cluster named “nowhere”",
        head + "speed = 3\n": "speed: unknown key",
        head + '[[gates]]\nkind = "metric"\nmetric = "vibes"\ncondition = "<1"\n': (
            "gates[0].metric: Input should be 'behind'"
        ),
        head + '[[gates]]\nkind = "health"\nwithin = "soon"\n': "gates[0].within: duration 'soon'",
        head + 'strategy = "yolo"\n': "strategy: Input should be",
        'name = "x"\ncluster = "c\n': "not valid TOML",
    }
    (tmp_path / "clusters" / "c").mkdir(parents=True)
    (tmp_path / "clusters" / "c" / "cluster.json").write_text('{"name": "c", "nodes": []}')
    for text, message in cases.items():
        plan = write_plan(tmp_path, text)
        run = chaindeck("deploy", str(plan), data_dir=tmp_path)
        assert run.returncode == 2, (text, run.stdout, run.stderr)
        assert message in run.stderr, (text, run.stderr)
        assert "Traceback" not in run.stderr
    missing = chaindeck("deploy", str(tmp_path / "none.toml"), data_dir=tmp_path)
    assert missing.returncode == 2 and "none.toml" in missing.stderr

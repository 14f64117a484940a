"""`chaindeck deploy` on real local clusters (background nodes on 127.0.0.1): the strategies,
the gates and the rollback as a user and a CI script see them (events, exit codes)."""

from __future__ import annotations

import sqlite3
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

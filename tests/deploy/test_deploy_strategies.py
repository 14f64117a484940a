"""Canary, blue-green and approval with `chaindeck deploy` on a real local cluster."""

from __future__ import annotations

import time
from pathlib import Path

from tests.deploy.support import (
    chaindeck,
    cluster_nodes,
    events,
    local_cluster,
    write_plan,
)


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

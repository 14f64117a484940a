"""`chaindeck cluster up|status|down` with real background nodes on loopback: nodes that
outlive the command, `up` twice starts nothing, `down` leaves no process and keeps the chains,
and the cluster's credentials work for every command that names it."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers.leftovers import kill_nodes_under, nodes_under


def chaindeck(*args: str, data_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args, "--data-dir", str(data_dir)]
        if "--" not in args
        else [
            sys.executable,
            "-m",
            "app",
            *_before(args),
            "--data-dir",
            str(data_dir),
            *_after(args),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _before(args: tuple[str, ...]) -> tuple[str, ...]:
    return args[: args.index("--")]


def _after(args: tuple[str, ...]) -> tuple[str, ...]:
    return args[args.index("--") :]


def test_up_twice_status_down_and_up_again_resumes(tmp_path: Path) -> None:
    try:
        up = chaindeck(
            "cluster",
            "up",
            "staging",
            "--followers",
            "2",
            "--json",
            "--",
            "--block-time",
            "0.2",
            data_dir=tmp_path,
        )
        assert up.returncode == 0, up.stderr
        cluster = json.loads(up.stdout)
        names = [n["name"] for n in cluster["nodes"]]
        assert names == ["staging producer", "staging follower 1", "staging follower 2"]
        assert [n["role"] for n in cluster["nodes"]] == ["producer", "follower", "follower"]
        pids = {n["pid"] for n in cluster["nodes"]}
        # They outlived the command, and each answers.
        assert {p.pid for p in nodes_under(tmp_path)} == pids
        for node in cluster["nodes"]:
            assert httpx.get(node["url"] + "/health").status_code == 200

        folder = Path(cluster["folder"])
        for slug in ("producer", "follower-1", "follower-2"):
            assert (folder / slug).is_dir()
            assert (folder / f"{slug}.log").is_file()
            assert (folder / f"{slug}.pid").is_file()
        if sys.platform != "win32":
            assert stat.S_IMODE((folder / "operator").stat().st_mode) == 0o600

        again = chaindeck("cluster", "up", "staging", data_dir=tmp_path)
        assert again.returncode == 0, again.stderr
        assert "already up" in again.stdout
        assert {p.pid for p in nodes_under(tmp_path)} == pids

        # A command that names a node of the cluster uses the cluster's credentials.
        status = chaindeck("status", "staging follower 1", "--json", data_dir=tmp_path)
        assert status.returncode == 0, status.stderr
        height = json.loads(status.stdout)["height"]
        user, password = (folder / "operator").read_text().strip().split(":", 1)
        login = httpx.post(
            cluster["nodes"][0]["url"] + "/api/v1/auth/login",
            json={"username": user, "password": password},
        )
        assert login.status_code == 200

        shown = chaindeck("cluster", "status", "staging", "--json", data_dir=tmp_path)
        assert shown.returncode == 0
        assert all(n["running"] for n in json.loads(shown.stdout)["nodes"])

        down = chaindeck("cluster", "down", "staging", data_dir=tmp_path)
        assert down.returncode == 0, down.stderr
        assert "stopped 3 nodes" in down.stdout
        assert nodes_under(tmp_path) == []
        stopped = chaindeck("cluster", "status", "staging", data_dir=tmp_path)
        assert stopped.returncode == 1 and stopped.stdout.count("stopped") == 3

        # Up again: the same chain, resumed.
        resumed = chaindeck("cluster", "up", "staging", "--json", data_dir=tmp_path)
        assert resumed.returncode == 0, resumed.stderr
        producer = json.loads(resumed.stdout)["nodes"][0]
        assert producer["height"] >= height
    finally:
        chaindeck("cluster", "down", "staging", data_dir=tmp_path)
        assert kill_nodes_under(tmp_path) == []


def test_bad_usage_and_a_node_that_cannot_start(tmp_path: Path) -> None:
    many = chaindeck("cluster", "up", "x", "--followers", "17", data_dir=tmp_path)
    assert many.returncode == 2 and "--followers: 0 (a producer alone) to 16" in many.stderr
    missing = chaindeck("cluster", "down", "nope", data_dir=tmp_path)
    assert missing.returncode == 2 and "no local cluster named “nope”" in missing.stderr
    bad = chaindeck("cluster", "up", "x", "--", "--no-such-option", data_dir=tmp_path)
    assert bad.returncode == 1
    assert "x producer exited (2)" in bad.stderr and "--no-such-option" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert nodes_under(tmp_path) == []
    assert not (tmp_path / "clusters" / "x" / "cluster.json").exists()

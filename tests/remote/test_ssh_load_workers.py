"""Load workers on another machine, started over SSH: the worker joins through a port the SSH
connection forwards back to the master, which stays on 127.0.0.1, and the run reports each
worker's own figures. Against a real OpenSSH server on loopback and a real node."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psutil

from tests.helpers.node_process import NodeProcess
from tests.helpers.sshd import chaindeck_on, ssh_server

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_on_an_ssh_host_joins_and_reports_its_own_figures(tmp_path: Path) -> None:
    with ssh_server(tmp_path / "host") as host, NodeProcess() as node:
        chaindeck = chaindeck_on(host)
        known = tmp_path / "known_hosts"
        known.write_text(host.known_hosts_line + "\n")
        where = f"{host.user}@127.0.0.1:{host.port}"
        command = [
            sys.executable, "-m", "app", "load", node.url, "--scenario", "reads",
            "--users", "4", "--duration", "3s", "--drain", "2s", "--workers", "1",
            "--ssh-worker", where, "--ssh-key", str(host.client_key),
            "--ssh-known-hosts", str(known), "--ssh-chaindeck", str(chaindeck),
            "--json", "--data-dir", str(tmp_path),
        ]  # fmt: skip
        run = subprocess.run(command, capture_output=True, text=True, timeout=240)
        assert run.returncode == 0, run.stdout + run.stderr
        assert f"and 1 over SSH ({where})" in run.stderr  # the progress line
        summary = json.loads(run.stdout.splitlines()[-1])
        assert summary["workers"] == 2
        workers = {w["worker"].split(" pid ")[0]: w for w in summary["per_worker"]}
        assert where in workers and len(workers) == 2
        assert all(w["requests"] > 0 for w in workers.values())
        assert sum(w["requests"] for w in workers.values()) == summary["requests"]
        # Locust writes the master's locustfiles where the worker imports them from: never into
        # the host's shared temporary folder, where another user could plant or swap them.
        assert list((host.root / "tmp").iterdir()) == []

        # A worker host whose key is not known: the run fails at once, before any load.
        known.write_text("")
        refused = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"{where}: its host key is not known" in refused.stderr
        # Nothing of the remote worker outlives the run (it ran in the host's folder).
        assert [p for p in psutil.process_iter() if _runs_in(p, host.root)] == []


def test_a_pipeline_load_stage_starts_workers_on_ssh_hosts(tmp_path: Path) -> None:
    with ssh_server(tmp_path / "host") as host, NodeProcess() as node:
        chaindeck = chaindeck_on(host)
        (tmp_path / "keys").mkdir()
        (tmp_path / "keys" / "known_hosts").write_text(host.known_hosts_line + "\n")
        where = f"{host.user}@127.0.0.1:{host.port}"
        (tmp_path / "pipeline.toml").write_text(
            'name = "remote load"\n[[stages]]\nkind = "load"\nscenario = "reads"\n'
            f'users = 4\nduration = "3s"\ntarget = "{node.url}"\n'
            f'ssh_workers = ["{where}"]\nssh_key = "{host.client_key}"\n'
            f'ssh_known_hosts = "keys/known_hosts"\n'  # relative to the pipeline file
            f'ssh_chaindeck = "{chaindeck}"\n'
        )
        command = [
            sys.executable, "-m", "app", "pipeline", str(tmp_path / "pipeline.toml"),
            "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path),
        ]  # fmt: skip
        run = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=ROOT)
        assert run.returncode == 0, run.stdout + run.stderr
        assert f"and 1 over SSH ({where})" in run.stdout + run.stderr
        (stage,) = json.loads((tmp_path / "out" / "report.json").read_text())["stages"]
        workers = {w["worker"].split(" pid ")[0]: w for w in stage["report"]["per_worker"]}
        assert where in workers and len(workers) == 2, workers
        assert all(w["requests"] > 0 for w in workers.values())
        assert [p for p in psutil.process_iter() if _runs_in(p, host.root)] == []


def _runs_in(proc: psutil.Process, folder: Path) -> bool:
    try:
        return proc.cwd() == str(folder) and "load-worker" in proc.cmdline()
    except psutil.Error:
        return False

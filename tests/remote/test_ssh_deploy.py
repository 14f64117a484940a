"""`target = "ssh"` for real: a ChainDeck cluster whose nodes run behind OpenSSH servers on
loopback (one per "host", each with its own folder and keys), changed by `chaindeck deploy`. A
rolling change succeeds; a build that does not start is rolled back, its snapshot restored; a
host lost half-way fails its step and the rest is rolled back; an unknown host key or an
unreachable host is refused before anything changes. The producer's host drives its node with
start and stop commands, the follower's with a systemd unit (a recording stand-in for systemctl:
no systemd runs here)."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.paths import AppPaths
from app.storage.app_db import AppDb
from app.storage.clusters import SAVED, ClusterStore
from tests.deploy.support import chaindeck, events
from tests.helpers.leftovers import kill_nodes_under
from tests.helpers.sshd import SshServer, chaindeck_on, ssh_server

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "ssh-fleet"

# What an operator keeps on each host: start the node from node.env (as a systemd unit's
# EnvironmentFile would), stop its whole process group and wait until nothing of it runs.
START = """#!/bin/sh
. ./node.env
peer=""
[ "$CHAINDECK_NODE_ROLE" = follower ] && peer="--peer $CHAINDECK_PRODUCER_URL"
setsid "$CHAINDECK_VERSION_EXECUTABLE" node --host 127.0.0.1 --port "${CHAINDECK_NODE_URL##*:}" \\
    --data-dir "$PWD/data" --operator ops:operator-password $peer $CHAINDECK_VERSION_ARGS \\
    >> node.log 2>&1 < /dev/null &
echo $! > node.pid
"""
STOP = """#!/bin/sh
[ -f node.pid ] || exit 0
pid=$(cat node.pid)
kill -TERM "-$pid" 2>/dev/null
while ps -e -o pgid=,stat= | awk -v g="$pid" '$1 == g && $2 !~ /^Z/' | grep -q .; do
    sleep 0.1
done
rm -f node.pid
echo "stopped $pid"
"""
# systemctl on a host without systemd (these machines have none): records each call and does
# what packaging/systemd/chaindeck-node.service does there, through the host's own scripts.
SYSTEMCTL = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/../systemctl.calls"
case "$1 $2" in
    "start chaindeck-node") exec sh "$(dirname "$0")/../start.sh" ;;
    "stop chaindeck-node") exec sh "$(dirname "$0")/../stop.sh" ;;
esac
echo "Unit $2.service not found." >&2
exit 5
"""
UNIT = {"unit": "chaindeck-node", "start": None, "stop": None}


@dataclass(frozen=True)
class Host:
    server: SshServer
    dir: Path  # the node's folder on the host
    url: str

    def env(self) -> str:
        return (self.dir / "node.env").read_text()

    def settings(self, **extra: object) -> str:
        """The host's `[nodes."NAME"]` lines: its key pinned, its own start and stop scripts."""
        s = self.server
        values: dict[str, object] = {
            "host": "127.0.0.1",
            "port": s.port,
            "user": s.user,
            "key": str(s.client_key),
            "host_key": s.host_key,
            "dir": str(self.dir),
            "start": f"sh {s.root}/start.sh",
            "stop": f"sh {s.root}/stop.sh",
            "status": "tail -n 1 node.log",
            **extra,
        }
        return "\n".join(f"{k} = {json.dumps(v)}" for k, v in values.items() if v is not None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build(folder: Path, name: str, body: str) -> Path:
    """A ChainDeck "build" as a host keeps one: an executable file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def start_node(host: Host, role: str, executable: Path, producer: str = "") -> None:
    """The node as the operator first started it, through the host's own start script."""
    host.dir.mkdir(parents=True)
    for name, text in (("start.sh", START), ("stop.sh", STOP)):
        (host.server.root / name).write_text(text)
    (host.server.root / "bin").mkdir()
    systemctl = host.server.root / "bin" / "systemctl"
    systemctl.write_text(SYSTEMCTL)
    systemctl.chmod(0o755)
    (host.dir / "node.env").write_text(
        f"CHAINDECK_VERSION_EXECUTABLE={executable}\nCHAINDECK_VERSION_ARGS=''\n"
    )
    env = {
        **os.environ,
        "CHAINDECK_NODE_ROLE": role,
        "CHAINDECK_NODE_URL": host.url,
        "CHAINDECK_PRODUCER_URL": producer,
    }
    subprocess.run(["sh", str(host.server.root / "start.sh")], cwd=host.dir, env=env, check=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(host.url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, (host.dir / "node.log").read_text()
        time.sleep(0.1)


def save_cluster(data_dir: Path, urls: list[str]) -> None:
    db = AppDb(AppPaths.at(data_dir).database)
    try:
        cluster = {"name": CLUSTER, "kind": SAVED, "urls": urls, "username": None}
        asyncio.run(ClusterStore(db).save(cluster))
    finally:
        db.close()


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[Host, Host, Path]]:
    """A producer on one host and a follower on another, saved as the cluster `ssh-fleet`."""
    with ExitStack() as stack:
        a = stack.enter_context(ssh_server(tmp_path / "host-a"))
        b = stack.enter_context(ssh_server(tmp_path / "host-b"))
        stack.callback(kill_nodes_under, tmp_path)
        current = build(
            tmp_path / "builds",
            "chaindeck-current",
            f'HOME="$PWD" PYTHONPATH={shlex.quote(str(ROOT))} exec {sys.executable} -m app "$@"',
        )
        producer = Host(a, a.root / "node", f"http://127.0.0.1:{free_port()}")
        follower = Host(b, b.root / "node", f"http://127.0.0.1:{free_port()}")
        start_node(producer, "producer", current)
        start_node(follower, "follower", current, producer.url)
        save_cluster(tmp_path, [producer.url, follower.url])
        yield producer, follower, tmp_path


def plan(
    data: Path,
    producer: Host,
    follower: Host,
    body: str,
    follower_extra: dict[str, object] | None = None,
    **extra: object,
) -> Path:
    """`extra`: settings of both nodes; `follower_extra`: the follower's own. The producer's
    host has start and stop commands, the follower's a systemd unit."""
    text = (
        f'name = "over ssh"\ncluster = "{CLUSTER}"\ntarget = "ssh"\n{body}\n'
        f'[nodes."{CLUSTER} 1"]\n{producer.settings(**extra)}\n'
        f'[nodes."{CLUSTER} 2"]\n'
        f"{follower.settings(**{**extra, **UNIT, **(follower_extra or {})})}\n"
    )
    path = data / "plan.toml"
    path.write_text(text)
    return path


def stored_events(data: Path, kind: str) -> list[dict[str, object]]:
    """The last deployment's events of one type, as the app's history keeps them (the Deploy
    tab's): with what the command's JSON lines leave out (a gate's figures)."""
    with sqlite3.connect(AppPaths.at(data).database) as db:
        rows = db.execute(
            "select event from deploy_events where type = ? and run_id = "
            "(select max(run_id) from deploy_events) order by seq",
            (kind,),
        ).fetchall()
    return [json.loads(row[0]) for row in rows]


def step_log(data: Path) -> list[str]:
    return [str(e["line"]) for e in stored_events(data, "log")]


def height(url: str) -> int:
    return int(httpx.get(url + "/health", timeout=5).json()["height"])


def test_a_rolling_change_a_broken_build_and_a_host_lost_half_way(
    fleet: tuple[Host, Host, Path],
) -> None:
    producer, follower, data = fleet
    health_gate = '[[gates]]\nkind = "health"\nwithin = "20s"\n'
    before = producer.env(), follower.env()

    # The last step's load gate also runs a Locust worker on the follower's host, started over
    # SSH with that node's settings (chaindeck as that host runs it: from its own folder).
    worker = chaindeck_on(follower.server)
    load_gate = (
        '[[gates]]\nkind = "load"\nscenario = "reads"\nusers = 2\nduration = "2s"\n'
        f'workers_on = ["{CLUSTER} 2"]\nworker_command = "{worker}"\n'
    )

    # A dry run says what each host will do and changes nothing.
    change = plan(
        data,
        producer,
        follower,
        '[version]\nargs = ["--block-time", "0.5"]\n' + health_gate + load_gate,
    )
    dry = chaindeck("deploy", str(change), "--dry-run", data_dir=data)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"1. upgrade {CLUSTER} 2" in dry.stdout and f"2. upgrade {CLUSTER} 1" in dry.stdout
    assert f"{follower.server.user}@127.0.0.1:{follower.server.port}" in dry.stdout
    assert (producer.env(), follower.env()) == before

    # 1. A rolling change of block time: the follower first, then the producer.
    run = chaindeck("deploy", str(change), "--json", data_dir=data)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = events(run.stdout)
    assert [(e["node"], e["status"]) for e in lines if e["type"] == "step"] == [
        (f"{CLUSTER} 2", "started"),
        (f"{CLUSTER} 2", "done"),
        (f"{CLUSTER} 1", "started"),
        (f"{CLUSTER} 1", "done"),
    ]
    loads = [e for e in stored_events(data, "gate") if e["gate"].startswith("load")]
    assert len(loads) == 2  # after each step
    remote = f"{follower.server.user}@127.0.0.1:{follower.server.port}"
    for loaded in loads:
        assert loaded["status"] == "passed", loaded
        assert f"workers on {CLUSTER} 2" in loaded["gate"]
        workers = {w["worker"].split(" pid ")[0]: w for w in loaded["figures"]["per_worker"]}
        assert remote in workers and len(workers) == 2, workers
        assert all(w["requests"] > 0 for w in workers.values())
    log = step_log(data)
    assert any("stopped " in line for line in log)  # the stop script's own output, streamed
    calls = (follower.server.root / "systemctl.calls").read_text().splitlines()
    assert calls == ["stop chaindeck-node", "start chaindeck-node"]
    assert "CHAINDECK_VERSION_ARGS='--block-time 0.5'" in producer.env()
    assert "CHAINDECK_VERSION_ARGS=''" in follower.env()  # a follower takes it from its producer
    first = height(producer.url)
    deadline = time.monotonic() + 20
    while height(producer.url) < first + 2:  # blocks every 0.5 s, with nothing to include
        assert time.monotonic() < deadline
        time.sleep(0.2)
    follower_height = height(follower.url)
    assert follower_height >= first
    producer_env = producer.env()

    # 2. A build that does not start: the follower's step fails, its snapshot and its previous
    # configuration come back, and it serves its chain again.
    broken = build(data / "new-build", "chaindeck-next", 'echo "this build is broken" >&2; exit 3')
    good_env = follower.env()
    bad = plan(
        data,
        producer,
        follower,
        f'[version]\nupload = "{broken}"\n' + health_gate,
        snapshot='cp -a data "$CHAINDECK_SNAPSHOT"',
        restore='rm -rf data && cp -a "$CHAINDECK_SNAPSHOT" data',
        ready_within="4s",
    )
    run = chaindeck("deploy", str(bad), "--json", data_dir=data)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = events(run.stdout)
    summary = lines[-1]
    assert summary["status"] == "rolled_back", summary.get("rollback_problems")
    assert f"does not answer {follower.url}/health 4 s after its start" in summary["reason"]
    log = step_log(data)
    assert any("this build is broken" in line for line in log)  # the status command's output
    assert any("rm -rf data" in line for line in log)  # the snapshot restored
    calls = (follower.server.root / "systemctl.calls").read_text().splitlines()
    assert calls[2:] == ["stop chaindeck-node", "start chaindeck-node"] * 2  # step, rollback
    assert (follower.dir / "builds" / "chaindeck-next").is_file()  # sent over SFTP
    assert follower.env() == good_env
    assert height(follower.url) >= follower_height
    assert producer.env() == producer_env  # the producer's step never came

    # 3. The producer's host goes away after the follower's step (its sshd is stopped by the
    # follower's install command): that step fails saying so, and the follower is rolled back.
    sshd_a = int((producer.server.root.parent / "sshd.pid").read_text())
    lost = plan(
        data,
        producer,
        follower,
        '[version]\nargs = ["--block-time", "1"]\n' + health_gate,
        follower_extra={"install": f"kill {sshd_a}"},
    )
    run = chaindeck("deploy", str(lost), "--json", data_dir=data, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = events(run.stdout)
    summary = lines[-1]
    assert summary["status"] == "rolled_back", summary
    assert f"127.0.0.1:{producer.server.port}: unreachable" in summary["reason"]
    log = step_log(data)
    assert f"{CLUSTER} 1: nothing was changed on this node" in log
    assert follower.env() == good_env
    assert httpx.get(follower.url + "/health", timeout=5).status_code == 200


def test_an_unknown_host_key_or_an_unreachable_host_changes_nothing(tmp_path: Path) -> None:
    with ssh_server(tmp_path / "host-a") as a, ssh_server(tmp_path / "host-b") as b:
        save_cluster(tmp_path, ["http://127.0.0.1:1", "http://127.0.0.1:2"])
        producer = Host(a, a.root / "node", "http://127.0.0.1:1")
        follower = Host(b, b.root / "node", "http://127.0.0.1:2")

        def refused(follower_extra: dict[str, object], **extra: object) -> str:
            path = plan(tmp_path, producer, follower, "", follower_extra, **extra)
            run = chaindeck("deploy", str(path), data_dir=tmp_path)
            assert run.returncode == 2, run.stdout + run.stderr
            return run.stderr

        where = f"{b.user}@127.0.0.1:{b.port}"
        # Host b pinned with host a's key: refused, whatever its client key could do.
        said = refused({"host_key": a.host_key})
        assert f"{where}: its host key is not known" in said and "pin its key" in said
        # No pin, and a known_hosts that knows host a only: refused too, never trusted on
        # first use.
        known = tmp_path / "known_hosts"
        known.write_text(a.known_hosts_line + "\n")
        said = refused({}, host_key=None, known_hosts=str(known))
        assert f"{where}: its host key is not known" in said
        assert f"{a.user}@127.0.0.1:{a.port}" not in said  # host a is known: it was let in
        # A host nothing answers on.
        said = refused({"port": free_port()})
        assert f"{b.user}@127.0.0.1:" in said and "unreachable" in said

        assert not (a.root / "node").exists() and not (b.root / "node").exists()

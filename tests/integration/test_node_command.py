"""`chaindeck node` as a user runs it: the ready line, signals, credentials, refusals, --private."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers.node_process import NodeProcess


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ready_line_then_clean_stop_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    node = NodeProcess(tmp_path / "d").start()
    assert set(node.ready) == {"event", "url", "role", "chainId", "dataDir"}
    assert node.ready["event"] == "ready" and node.ready["role"] == "producer"
    assert node.ready["url"].startswith("http://127.0.0.1:")
    assert node.ready["dataDir"] == str(tmp_path / "d")
    assert httpx.get(node.url + "/health").status_code == 200
    assert node.proc is not None and node.proc.stdout is not None
    code = node.stop(sig)
    rest = node.proc.stdout.read() if not node.proc.stdout.closed else b""
    assert code == 0, node.stderr_text()
    assert rest == b""  # exactly one line on stdout
    assert "Traceback" not in node.stderr_text()
    assert "stopped at height" in node.stderr_text()


def test_operator_password_is_made_up_kept_private_and_printed_once(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with NodeProcess(data, operator=None) as node:
        pass
    secret = data / "operator-password"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    user, password = secret.read_text().strip().split(":", 1)
    assert password in node.stderr_text()
    again = NodeProcess(data, operator=None).start()
    try:
        assert password not in again.stderr_text()
        again.operator = (user, password)
        assert again.token()
    finally:
        again.stop()


def test_operator_from_the_environment(tmp_path: Path) -> None:
    with NodeProcess(None, operator=None, env={"CHAINDECK_OPERATOR": "alice:s3cret"}) as node:
        node.operator = ("alice", "s3cret")
        assert node.token()


def _refused(data_dir: Path, *args: str) -> str:
    result = run_cli("node", "--port", "0", "--data-dir", str(data_dir), *args)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    with sqlite3.connect(data / "chain.sqlite3") as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    assert "is not a ChainDeck node database" in _refused(data)


def test_a_corrupted_database_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "chain.sqlite3").write_bytes(b"this is not sqlite at all" * 100)
    assert "damaged or not a database" in _refused(data)


def test_a_database_whose_head_was_tampered_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with NodeProcess(data):
        pass
    with sqlite3.connect(data / "chain.sqlite3") as conn:
        conn.execute("UPDATE blocks SET timestamp = timestamp + 1")
    assert "fails its hash" in _refused(data)


def test_another_chain_id_is_refused_with_the_way_out(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with NodeProcess(data, "--chain-id", "alpha"):
        pass
    message = _refused(data, "--chain-id", "beta")
    assert "alpha" in message and "--chain-id" in message
    with NodeProcess(data) as node:  # without --chain-id it resumes what is there
        assert node.ready["chainId"] == "alpha"


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("node", "--ephemeral", "--port", str(port))
    assert result.returncode == 2 and "cannot listen" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--port", "70000"],
        ["--block-time", "-1"],
        ["--accounts", "-2"],
        ["--balance", "abc"],
        ["--difficulty", "99"],
        ["--operator", "nocolon"],
        ["--data-dir", "/tmp/x", "--ephemeral"],
        ["--no-such-option"],
    ],
)
def test_bad_usage_exits_2_with_a_reason(args: list[str]) -> None:
    result = run_cli("node", *args)
    assert result.returncode == 2
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_top_level_help_and_version() -> None:
    assert run_cli("--version").stdout.startswith("chaindeck ")
    assert run_cli("node", "--help").returncode == 0
    assert "--block-time" in run_cli("node", "--help").stdout


def test_accounts_and_balance_shape_genesis() -> None:
    with NodeProcess(None, "--accounts", "3", "--balance", "12.5") as node:
        token = node.token()
        wallets = httpx.get(
            node.url + "/api/v1/wallets", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert [(w["label"], w["balance"]) for w in wallets] == [
            ("wallet1", 12.5),
            ("wallet2", 12.5),
            ("wallet3", 12.5),
        ]


def test_private_node_needs_a_token_for_everything() -> None:
    with NodeProcess(None, "--private") as node, node.client() as client:
        for path in ("/health", "/metrics", "/api/v1/blocks", "/api/v1/network/status"):
            assert client.get(path).status_code == 401, path
        raw = client.post("/api/v1/transactions/raw", json={})
        assert raw.status_code == 401
        headers = {"Authorization": f"Bearer {node.token()}"}
        assert client.get("/api/v1/blocks", headers=headers).status_code == 200
        from websockets.exceptions import InvalidStatus, WebSocketException
        from websockets.sync.client import connect

        url = node.url.replace("http://", "ws://") + "/ws"
        with pytest.raises((InvalidStatus, WebSocketException)), connect(url) as ws:
            ws.recv(timeout=5)
        with connect(url, additional_headers=headers) as ws:
            ws.send(json.dumps({"type": "subscribe", "channels": ["status"]}))
            assert json.loads(ws.recv(timeout=5))["type"] == "subscribed"


def test_failed_logins_are_rate_limited(node: NodeProcess, client: httpx.Client) -> None:
    codes = [
        client.post("/api/v1/auth/login", json={"username": "x", "password": "y"}).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [401] * 10
    assert codes[-1] == 429
    limited = client.post("/api/v1/auth/login", json={"username": "x", "password": "y"})
    assert int(limited.headers["Retry-After"]) >= 1
    # A local client must not pass for another by claiming to be a proxy.
    spoofed = client.post(
        "/api/v1/auth/login",
        json={"username": "x", "password": "y"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert spoofed.status_code == 429


def test_helper_processes_die_with_a_node_killed_with_9(tmp_path: Path) -> None:
    import time

    import psutil

    node = NodeProcess(None).start()
    try:
        with node.client() as client:  # a batch makes sure the verifier processes are up
            client.post("/api/v1/transactions/batch", json=[{}] * 20)
        deadline = time.monotonic() + 20
        helpers: list[psutil.Process] = []
        # the database writer, two or more verifiers and multiprocessing's resource tracker;
        # the verifiers yield the cores to the loop and the writer, the path every write takes
        base = psutil.Process(node.pid).nice()

        def niced() -> int:
            return sum(p.nice() == base + 5 for p in helpers if p.is_running())

        while (len(helpers) < 4 or niced() < 2) and time.monotonic() < deadline:
            helpers = psutil.Process(node.pid).children(recursive=True)
            time.sleep(0.1)
        assert len(helpers) >= 4, [p.cmdline() for p in helpers]
        assert niced() >= 2, [p.nice() for p in helpers]
        os.kill(node.pid, signal.SIGKILL)  # the node alone, not its process group
        _, alive = psutil.wait_procs(helpers, timeout=10)
        assert alive == [], [p.cmdline() for p in alive]
    finally:
        node.kill()


def test_a_node_whose_verifier_dies_stops_with_a_reason(tmp_path: Path) -> None:
    """Like a dead database writer (test_durability.py): the node does not go on without it."""
    import time

    import psutil

    node = NodeProcess(None).start()
    try:
        with node.client() as client:  # a batch makes sure the verifier processes are up
            client.post("/api/v1/transactions/batch", json=[{}] * 20)
        base = psutil.Process(node.pid).nice()
        verifiers: list[psutil.Process] = []
        deadline = time.monotonic() + 20
        # a verifier lowers its own priority when it starts: wait for two to have done so
        while len(verifiers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            verifiers = [
                p
                for p in psutil.Process(node.pid).children(recursive=True)
                if p.is_running() and p.nice() == base + 5
            ]
        assert len(verifiers) >= 2
        os.kill(verifiers[0].pid, signal.SIGKILL)
        assert node.proc is not None and node.proc.wait(timeout=30) == 1
        assert "chaindeck node: a signature verifier process stopped" in node.stderr_text()
        assert "Traceback" not in node.stderr_text()
    finally:
        node.kill()

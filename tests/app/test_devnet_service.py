"""The embedded devnet as the app runs it: a real `chaindeck node` child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from pytestqt.qtbot import QtBot

from app.jobs.embedded_node import DevnetSettings
from app.paths import AppPaths
from app.services.devnet_service import DevnetService
from tests.qt_support import run


def height(url: str) -> int:
    return int(httpx.get(f"{url}/health", timeout=10).json()["height"])


def genesis(url: str) -> str:
    return str(httpx.get(f"{url}/api/v1/blocks/0", timeout=10).json()["hash"])


def test_starts_stops_cleanly_restarts_with_new_settings_and_resets(
    qtbot: QtBot, qloop: Any, tmp_path: Path
) -> None:
    devnet = DevnetService(AppPaths.at(tmp_path), DevnetSettings(accounts=3, balance=50))
    try:
        ready = run(qtbot, devnet.ensure_running())
        assert ready is not None and devnet.state == "running"
        proc = psutil.Process(ready.pid)
        assert os.getpgid(ready.pid) == ready.pid  # its own process group
        with httpx.Client(base_url=ready.url, timeout=10) as client:
            token = client.post(
                "/api/v1/auth/login", json={"username": "operator", "password": ready.password}
            ).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            wallets = client.get("/api/v1/wallets", headers=auth).json()
            assert [w["balance"] for w in wallets] == [50, 50, 50]
            client.post("/api/v1/mine", json={"blocks": 2}, headers=auth).raise_for_status()
        chain_id = ready.chain_id

        ready = run(qtbot, devnet.restart(DevnetSettings(accounts=3, balance=50, block_time=0.2)))
        assert ready is not None
        assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
        assert ready.chain_id == chain_id and height(ready.url) >= 2  # the chain is kept
        qtbot.waitUntil(lambda: height(ready.url) >= 4, timeout=10000)  # interval sealing

        old_genesis = genesis(ready.url)
        ready = run(qtbot, devnet.reset())
        # A new chain (it seals every 0.2 s, so its height may already be past 0)
        assert ready is not None and genesis(ready.url) != old_genesis
        assert "devnet" in devnet.log_path.read_text() or devnet.log_path.stat().st_size > 0
    finally:
        run(qtbot, devnet.stop())
    assert devnet.state == "stopped"


def test_a_crash_is_reported_with_the_tail_of_its_log(
    qtbot: QtBot, qloop: Any, tmp_path: Path
) -> None:
    devnet = DevnetService(AppPaths.at(tmp_path), DevnetSettings())
    try:
        ready = run(qtbot, devnet.ensure_running())
        assert ready is not None and devnet.node is not None
        node = devnet.node
        # the log pump reads stderr on its own: let it catch up before the node dies
        qtbot.waitUntil(lambda: "serving http://127.0.0.1" in node.tail_text(), timeout=10000)
        with qtbot.waitSignal(devnet.crashed, timeout=10000) as crashed:
            os.kill(ready.pid, signal.SIGKILL)
        code, tail = crashed.args
        assert code == -signal.SIGKILL
        assert "serving http://127.0.0.1" in tail
        assert devnet.state == "crashed"
        assert run(qtbot, devnet.restart()) is not None  # the Restart button
    finally:
        run(qtbot, devnet.stop())


def test_bad_settings_are_refused_before_anything_starts(
    qtbot: QtBot, qloop: Any, tmp_path: Path
) -> None:
    devnet = DevnetService(AppPaths.at(tmp_path), DevnetSettings(accounts=5000, difficulty=99))
    with qtbot.waitSignal(devnet.failed) as failed:
        assert run(qtbot, devnet.ensure_running()) is None
    assert "dev accounts must be 0 to 1000" in failed.args[0]
    assert "difficulty" in failed.args[0]


APP = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from app.jobs.embedded_node import DevnetSettings, EmbeddedNode

    async def main():
        node = EmbeddedNode(Path(sys.argv[1]), Path(sys.argv[1]) / "log", DevnetSettings(),
                            lambda code, tail: None)
        ready = await node.start()
        print(ready.pid, flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


def test_the_node_never_outlives_the_app_even_after_kill_9(tmp_path: Path) -> None:
    app = subprocess.Popen(
        [sys.executable, "-c", APP, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert app.stdout is not None
        node = psutil.Process(int(app.stdout.readline()))
        app.kill()
        app.wait(10)
        deadline = time.monotonic() + 15
        while node.is_running() and node.status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the node outlived the app"
            time.sleep(0.1)
    finally:
        app.kill()
        app.wait(10)


def test_a_second_devnet_on_the_same_chain_says_it_is_in_use(
    qtbot: QtBot, qloop: Any, tmp_path: Path
) -> None:
    """Two windows, one data dir: the second does not start a second node on the chain."""
    first = DevnetService(AppPaths.at(tmp_path), DevnetSettings(accounts=2))
    second = DevnetService(AppPaths.at(tmp_path), DevnetSettings(accounts=2))
    try:
        ready = run(qtbot, first.ensure_running())
        assert ready is not None
        with qtbot.waitSignal(second.failed, timeout=30000) as failed:
            assert run(qtbot, second.ensure_running()) is None
        message, _tail = failed.args
        assert f"already in use by another ChainDeck window or node (pid {ready.pid})" in message
        assert second.state == "crashed"
        assert httpx.get(f"{ready.url}/health", timeout=10).status_code == 200
    finally:
        run(qtbot, second.stop())
        run(qtbot, first.stop())


def test_a_port_of_its_own_kept_across_restarts_and_the_devnet_as_a_command_target(
    qtbot: QtBot, qloop: Any, tmp_path: Path
) -> None:
    import json
    import socket
    import stat

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    preferred = taken.getsockname()[1]
    devnet = DevnetService(AppPaths.at(tmp_path), DevnetSettings(accounts=2, port=preferred))

    def chaindeck(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", *args, "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    try:
        ready = run(qtbot, devnet.ensure_running())
        assert ready is not None
        port = int(ready.url.rsplit(":", 1)[1])
        assert preferred < port < preferred + 20  # the preferred one is taken: the next free
        record = json.loads((tmp_path / "devnet.json").read_text())
        assert record["url"] == ready.url and record["pid"] == ready.pid
        secret = tmp_path / "devnet" / "operator-password"
        assert secret.read_text().strip() == f"operator:{ready.password}"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600

        status = chaindeck("status", "devnet", "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["role"] == "producer"

        taken.close()  # the preferred port is free again, but scripts know this one now
        again = run(qtbot, devnet.restart())
        assert again is not None and again.url == ready.url
        assert again.password == ready.password  # the same operator across restarts
    finally:
        taken.close()
        run(qtbot, devnet.stop())
    stopped = chaindeck("status", "devnet")
    assert stopped.returncode == 2 and "the devnet is not running" in stopped.stderr

"""`chaindeck status` and `chaindeck watch` as a user runs them, against a real ChainDeck node
and a real anvil."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.anvil import anvil, anvil_missing
from tests.helpers.node_process import NodeProcess


def chaindeck(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=timeout
    )


def mine_in_background(node: NodeProcess, blocks: int) -> threading.Thread:
    token = node.token()

    def mine() -> None:
        time.sleep(2.0)  # after the watcher subscribed
        with node.client(headers={"Authorization": f"Bearer {token}"}) as c:
            for _ in range(blocks):
                c.post("/api/v1/mine", json={"blocks": 1})
                time.sleep(0.1)

    thread = threading.Thread(target=mine, daemon=True)
    thread.start()
    return thread


def test_status_of_a_chaindeck_node(node: NodeProcess) -> None:
    done = chaindeck("status", node.url)
    assert done.returncode == 0, done.stderr
    assert "native (chaindeck" in done.stdout and "producer" in done.stdout
    assert f"chain id     {node.ready['chainId']}" in done.stdout
    as_json = chaindeck("status", node.url, "--json")
    snap = json.loads(as_json.stdout)
    assert snap["kind"] == "native" and snap["role"] == "producer"
    assert snap["height"] >= 0 and snap["latestHash"].startswith("0x")
    assert snap["latencyMs"] > 0 and snap["mempool"] >= 0


def test_watch_prints_each_new_block_and_stops_after_count(node: NodeProcess) -> None:
    start = httpx.get(f"{node.url}/api/v1/network/status").json()["blockHeight"]
    miner = mine_in_background(node, 3)
    done = chaindeck("watch", node.url, "--count", "3", "--json")
    miner.join()
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [b["height"] for b in lines] == [start + 1, start + 2, start + 3]
    assert all(set(b) == {"height", "hash", "txCount", "timestamp"} for b in lines)


@pytest.mark.parametrize("command", ["status", "watch"])
def test_unreachable_or_unknown_targets_exit_2_with_one_line(command: str, tmp_path: Path) -> None:
    done = chaindeck(command, "http://127.0.0.1:9")
    assert done.returncode == 2
    assert done.stderr.startswith(f"chaindeck {command}: cannot reach")
    assert "Traceback" not in done.stderr
    data_dir = tmp_path / "data"
    named = chaindeck(command, "no-such-profile", "--data-dir", str(data_dir))
    assert named.returncode == 2 and "neither a node URL" in named.stderr
    assert not data_dir.exists()  # a mistyped name leaves no data folder behind


@pytest.mark.skipif(anvil_missing() is not None, reason=str(anvil_missing()))
def test_status_and_watch_on_an_ethereum_node() -> None:
    with anvil("--block-time", "1") as url:
        done = chaindeck("status", url, "--json")
        assert done.returncode == 0, done.stderr
        snap = json.loads(done.stdout)
        assert snap["kind"] == "ethereum" and snap["version"].startswith("anvil")
        assert snap["chainId"] == "31337" and snap["gasPriceGwei"] is not None
        human = chaindeck("status", url)
        assert "ethereum (anvil" in human.stdout
        watched = chaindeck("watch", url, "--count", "2", "--json")
        assert watched.returncode == 0, watched.stderr
        heights = [json.loads(line)["height"] for line in watched.stdout.splitlines()]
        assert len(heights) == 2 and heights[1] == heights[0] + 1


def test_watch_stops_cleanly_on_ctrl_c(node: NodeProcess) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "watch", node.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    miner = mine_in_background(node, 1)
    miner.join()
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert len(out.splitlines()) >= 1  # the block mined while it watched

"""Followers (`chaindeck node --peer`): real producer and follower processes on loopback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.signing import COIN
from tests.helpers.node_process import NodeProcess
from tests.helpers.wallet import TestWallet


def wait_for(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def height(url: str) -> int:
    return httpx.get(f"{url}/api/v1/network/status", timeout=10).json()["blockHeight"]


def block_hashes(url: str, top: int) -> list[str]:
    blocks = httpx.get(f"{url}/api/v1/blocks/range?from=0&to={top}", timeout=30).json()
    return [b["hash"] for b in blocks]


def fund(producer: NodeProcess, address: str, amount: float = 50) -> None:
    headers = {"Authorization": f"Bearer {producer.token()}"}
    with producer.client(headers=headers) as c:
        c.post("/api/v1/transactions", json={"from": "wallet1", "to": address, "amount": amount})


def follower_of(producer: NodeProcess, data_dir: Path | None = None) -> NodeProcess:
    return NodeProcess(data_dir, "--peer", producer.url).start()


@pytest.fixture
def producer() -> Iterator[NodeProcess]:
    node = NodeProcess().start()
    yield node
    node.stop()


def test_a_follower_replicates_every_block_and_both_list_each_other(
    producer: NodeProcess,
) -> None:
    follower = follower_of(producer)
    try:
        assert follower.ready["role"] == "follower"
        assert follower.ready["chainId"] == producer.ready["chainId"]
        wallet = TestWallet(producer.ready["chainId"])
        fund(producer, wallet.address)
        batch = [wallet.sign("0x" + "ab" * 20, 50_000_000, nonce=n) for n in range(40)]
        assert producer.client().post("/api/v1/transactions/batch", json=batch).status_code == 200
        wait_for(lambda: height(follower.url) == height(producer.url) > 1, what="the follower")
        top = height(producer.url)
        assert block_hashes(follower.url, top) == block_hashes(producer.url, top)
        mine = producer.client().get(f"/api/v1/wallets/{wallet.address}/balance").json()
        theirs = follower.client().get(f"/api/v1/wallets/{wallet.address}/balance").json()
        assert mine == theirs

        wait_for(
            lambda: any(
                p["url"] == follower.url and p["role"] == "follower"
                for p in producer.client().get("/api/v1/network/status").json()["peers"]
            ),
            what="the producer to list its follower",
        )
        status = follower.client().get("/api/v1/network/status").json()
        assert status["role"] == "follower"
        assert status["peers"][0]["url"] == producer.url
        assert status["peers"][0]["role"] == "producer"
        health = follower.client().get("/health")
        assert health.status_code == 200 and health.json()["role"] == "follower"
    finally:
        follower.stop()


def test_what_a_follower_is_sent_reaches_the_producer_and_reads_back_at_once(
    producer: NodeProcess,
) -> None:
    follower = follower_of(producer)
    try:
        wallet = TestWallet(producer.ready["chainId"])
        headers = {"Authorization": f"Bearer {follower.token()}"}
        with follower.client(headers=headers) as c:
            # Node-signed with the producer's wallet, asked of the follower.
            sent = c.post(
                "/api/v1/transactions", json={"from": "wallet1", "to": wallet.address, "amount": 5}
            )
            assert sent.status_code == 201, sent.text
            assert sent.json()["fromLabel"] == "wallet1"
            labels = {w["label"] for w in c.get("/api/v1/wallets").json()}
            assert "wallet1" in labels
        wait_for(
            lambda: (
                follower.client().get(f"/api/v1/wallets/{wallet.address}/balance").json()["balance"]
                == 5
            ),
            what="the funding on the follower",
        )
        to = "0x" + "cd" * 20
        raw = follower.client().post("/api/v1/transactions/raw", json=wallet.sign(to, COIN))
        assert raw.status_code == 201, raw.text
        tx_hash = raw.json()["hash"]
        # Accepted by the follower means durable on the producer, and readable on both.
        assert producer.client().get(f"/api/v1/transactions/{tx_hash}").status_code == 200
        assert follower.client().get(f"/api/v1/transactions/{tx_hash}").status_code == 200
        wait_for(
            lambda: (
                follower.client().get(f"/api/v1/transactions/{tx_hash}").json()["status"]
                == "confirmed"
            ),
            what="confirmation on the follower",
        )
        again = follower.client().post(
            "/api/v1/transactions/raw", json=wallet.sign(to, COIN, nonce=0)
        )
        # The very same transaction again: the producer's verdict comes back unchanged.
        assert again.status_code == 409 and again.json()["error"] == "duplicate"

        # The producer's feed tells the follower of each transaction while the follower's own
        # forward is still answering: the 201 must still wait until the follower can read it.
        with follower.client() as c:
            for nonce in range(1, 41):
                sent = c.post("/api/v1/transactions/raw", json=wallet.sign(to, 1000, nonce=nonce))
                assert sent.status_code == 201, sent.text
                read = c.get(f"/api/v1/transactions/{sent.json()['hash']}")
                assert read.status_code == 200, f"nonce {nonce}: {read.text}"

        with follower.client(headers=headers) as c:
            mined = c.post("/api/v1/mine", json={"blocks": 2})
            assert mined.status_code == 200
            top = mined.json()[-1]["height"]
            # The answer waits until the follower has the blocks it reports.
            assert c.get(f"/api/v1/blocks/{top}").status_code == 200
    finally:
        follower.stop()


def test_a_follower_hears_the_producers_pending_transactions_over_its_feed() -> None:
    # Blocks every 60 s: the transaction can only reach the follower through the feed, since
    # heartbeats carry heights and range fetches carry blocks.
    producer = NodeProcess(None, "--block-time", "60").start()
    follower = follower_of(producer)
    try:
        wallet = TestWallet(producer.ready["chainId"])
        genesis = block_hashes(producer.url, 0)
        wait_for(lambda: block_hashes(follower.url, 0) == genesis, what="genesis")
        time.sleep(0.5)  # the feed subscribes just after the ready line
        fund(producer, wallet.address)
        headers = {"Authorization": f"Bearer {producer.token()}"}
        with producer.client(headers=headers) as c:
            # A wallet the follower has never heard of: its label comes with the transaction.
            assert c.post("/api/v1/wallets", json={"label": "late"}).status_code == 201
            sent = c.post(
                "/api/v1/transactions", json={"from": "wallet2", "to": "late", "amount": 1}
            ).json()
        reads: list[httpx.Response] = []

        def readable() -> bool:
            reads.append(follower.client().get(f"/api/v1/transactions/{sent['hash']}"))
            return reads[-1].status_code == 200

        wait_for(readable, timeout=20, what="the pending transaction on the follower")
        tx = reads[-1].json()
        assert tx["status"] == "pending" and height(producer.url) == 0
        # Labelled from the first read that finds it: two reads never differ by a label.
        assert tx["toLabel"] == "late" and tx["fromLabel"] == "wallet2"
        log = producer.stderr_path.read_text() if producer.stderr_path else ""
        assert "Traceback" not in log, log
    finally:
        follower.stop()
        producer.stop()


def test_a_stopped_follower_catches_up_after_restart(producer: NodeProcess, tmp_path: Path) -> None:
    follower = follower_of(producer, tmp_path / "follower")
    wait_for(lambda: height(follower.url) == height(producer.url), what="first sync")
    follower.stop()
    headers = {"Authorization": f"Bearer {producer.token()}"}
    with producer.client(headers=headers) as c:
        c.post("/api/v1/mine", json={"blocks": 30})
    follower = follower_of(producer, tmp_path / "follower")
    try:
        wait_for(lambda: height(follower.url) == height(producer.url), what="catch-up")
        top = height(producer.url)
        assert block_hashes(follower.url, top) == block_hashes(producer.url, top)
    finally:
        follower.stop()


def test_a_tampered_block_is_refused_and_reported(tmp_path: Path) -> None:
    """A producer whose stored block 2 was altered serves it as it is; the follower must refuse
    it, stay at height 1, and say so in /health and its status."""
    producer = NodeProcess(tmp_path / "producer").start()
    wallet = TestWallet(producer.ready["chainId"])
    fund(producer, wallet.address)  # block 1
    producer.client().post("/api/v1/transactions/raw", json=wallet.sign("0x" + "ef" * 20, COIN))
    wait_for(lambda: height(producer.url) >= 2, what="block 2")
    producer.stop()
    with sqlite3.connect(tmp_path / "producer" / "chain.sqlite3") as db:
        db.execute("UPDATE transactions SET amount = amount * 100 WHERE block_height = 2")
    producer = NodeProcess(tmp_path / "producer").start()
    follower = follower_of(producer)
    try:
        wait_for(lambda: follower.client().get("/health").status_code == 503, what="a refusal")
        health = follower.client().get("/health").json()
        assert health["error"] == "invalid_block"
        assert "block 2" in health["message"]
        status = follower.client().get("/api/v1/network/status").json()
        assert status["blockHeight"] == 1
        assert "block 2" in status["problem"]
    finally:
        follower.stop()
        producer.stop()


def test_a_follower_that_loses_its_producer_says_so(producer: NodeProcess) -> None:
    follower = follower_of(producer)
    try:
        assert follower.client().get("/health").status_code == 200
        producer.stop()
        wait_for(lambda: follower.client().get("/health").status_code == 503, timeout=40)
        assert follower.client().get("/health").json()["error"] == "producer_lost"
        # Reads keep working from its own copy.
        assert follower.client().get("/api/v1/blocks/0").status_code == 200
    finally:
        follower.stop()


def test_following_something_that_is_not_a_chaindeck_node_fails_at_once(tmp_path: Path) -> None:
    web = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "-d", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert web.stdout is not None
        port = web.stdout.readline().split("port ")[1].split()[0]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "app",
                "node",
                "--ephemeral",
                "--port",
                "0",  # not 8645: another test's devnet may hold it
                "--peer",
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        web.terminate()
        web.wait(10)
    assert done.returncode == 2
    assert "cannot follow" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--peer", "localhost:1"], "--peer must be a node's base URL"),
        (["--peer", "http://127.0.0.1:9", "--accounts", "3"], "--accounts does not apply"),
    ],
)
def test_bad_peer_options_are_usage_errors(args: list[str], says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "node", "--ephemeral", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr

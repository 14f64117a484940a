"""A 201 means durable: accepted transactions survive kill -9 and are mined exactly once."""

from __future__ import annotations

import time
from pathlib import Path

from backend.chain.units import COIN
from tests.helpers.node_process import NodeProcess
from tests.helpers.wallet import TestWallet, fund, wait_confirmed

RECIPIENT = "0x" + "5a" * 20


def test_accepted_transactions_survive_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "node"
    # Interval sealing, long: everything accepted is still in the mempool when the node dies.
    node = NodeProcess(data, "--block-time", "30").start()
    try:
        token = node.token()
        with node.client() as client:
            wallet = TestWallet(node.ready["chainId"])
            funding = fund(client, token, wallet.address, 300)
            client.post(
                "/api/v1/mine", json={"blocks": 1}, headers={"Authorization": f"Bearer {token}"}
            ).raise_for_status()
            wait_confirmed(client, funding)
            accepted: list[str] = []
            for _ in range(5):
                batch = [wallet.sign(RECIPIENT, COIN) for _ in range(40)]
                body = client.post("/api/v1/transactions/batch", json=batch).json()
                assert body["rejected"] == []
                accepted += body["accepted"]
            for _ in range(10):
                response = client.post(
                    "/api/v1/transactions/raw", json=wallet.sign(RECIPIENT, COIN)
                )
                assert response.status_code == 201
                accepted.append(response.json()["hash"])
            assert client.get("/api/v1/network/status").json()["mempoolSize"] == 210
    finally:
        node.kill()  # SIGKILL: no shutdown code runs

    restarted = NodeProcess(data).start()  # block time 0: mines what it finds at once
    try:
        with restarted.client() as client:
            confirmed = [wait_confirmed(client, h) for h in accepted]
            heights: dict[str, int] = {tx["hash"]: tx["blockHeight"] for tx in confirmed}
            assert len(heights) == 210
            mined_hashes: list[str] = []
            head = client.get("/api/v1/network/status").json()["blockHeight"]
            for start in range(0, head + 1, 500):
                for block in client.get(
                    "/api/v1/blocks/range", params={"from": start, "to": start + 499}
                ).json():
                    mined_hashes += [tx["hash"] for tx in block["transactions"]]
            # every accepted transaction is in exactly one block
            assert all(mined_hashes.count(h) == 1 for h in accepted)
            balance = client.get(f"/api/v1/wallets/{wallet.address}/balance").json()
            assert balance["nonce"] == 210
            assert balance["balance"] == round(300 - 210 * 1.0001, 8)
            assert client.get(f"/api/v1/wallets/{RECIPIENT}/balance").json()["balance"] == 210
    finally:
        restarted.stop()


def test_restart_resumes_the_chain(tmp_path: Path) -> None:
    data = tmp_path / "node"
    with NodeProcess(data) as node, node.client() as client:
        token = node.token()
        tx = fund(client, token, RECIPIENT, 7)
        wait_confirmed(client, tx)
        status = client.get("/api/v1/network/status").json()
        wallets = client.get("/api/v1/wallets", headers={"Authorization": f"Bearer {token}"}).json()
    with NodeProcess(data, "--accounts", "3") as node, node.client() as client:
        again = client.get("/api/v1/network/status").json()
        assert again["chainId"] == status["chainId"]
        assert again["blockHeight"] == status["blockHeight"]
        assert again["latestHash"] == status["latestHash"]
        token = node.token()
        assert (
            client.get("/api/v1/wallets", headers={"Authorization": f"Bearer {token}"}).json()
            == wallets
        )
        assert client.get(f"/api/v1/transactions/{tx}").json()["status"] == "confirmed"
        # and the chain goes on from there
        later = fund(client, token, RECIPIENT, 1)
        assert wait_confirmed(client, later)["blockHeight"] == status["blockHeight"] + 1


def test_interval_sealing_makes_empty_blocks(tmp_path: Path) -> None:
    with NodeProcess(None, "--block-time", "0.2") as node, node.client() as client:
        deadline = time.monotonic() + 20
        while client.get("/api/v1/network/status").json()["blockHeight"] < 3:
            assert time.monotonic() < deadline, "no blocks on the interval"
            time.sleep(0.1)
        blocks = client.get("/api/v1/blocks", params={"limit": 3}).json()
        assert all(b["txCount"] == 0 for b in blocks)
        gaps = [blocks[i]["timestamp"] - blocks[i + 1]["timestamp"] for i in range(2)]
        assert all(g >= 100 for g in gaps), gaps


def test_transfers_wait_for_the_interval(tmp_path: Path) -> None:
    with NodeProcess(None, "--block-time", "2") as node, node.client() as client:
        token = node.token()
        tx = fund(client, token, RECIPIENT, 1)
        assert client.get(f"/api/v1/transactions/{tx}").json()["status"] == "pending"
        assert wait_confirmed(client, tx)["status"] == "confirmed"


def test_proof_of_work_blocks(tmp_path: Path) -> None:
    with NodeProcess(None, "--difficulty", "12") as node, node.client() as client:
        token = node.token()
        wait_confirmed(client, fund(client, token, RECIPIENT, 1))
        block = client.get("/api/v1/blocks", params={"limit": 1}).json()[0]
        assert block["difficulty"] == 12
        value = int(block["hash"], 16)
        assert value >> (256 - 12) == 0
        assert client.get("/api/v1/network/status").json()["difficulty"] == 12


def test_a_node_whose_database_writer_dies_stops_and_resumes_from_disk(
    tmp_path: Path,
) -> None:
    """The writer is a process of its own. If it is killed, no submission may get a 201 that
    was never stored, and the node must not go on as if nothing happened (the app and
    supervisors see a live node): it refuses writes, stops with exit code 1 and a one-line
    reason, and started again it has everything it had stored."""
    import os
    import signal

    import httpx
    import psutil

    data = tmp_path / "node"
    node = NodeProcess(data).start()
    try:
        token = node.token()
        with node.client() as client:
            wallet = TestWallet(node.ready["chainId"])
            wait_confirmed(client, fund(client, token, wallet.address, 10))
            db = str(data / "chain.sqlite3")
            writers = [
                p
                for p in psutil.Process(node.pid).children(recursive=True)
                if any(f.path == db for f in p.open_files())
            ]
            assert len(writers) == 1
            os.kill(writers[0].pid, signal.SIGKILL)  # the node reaps it: a zombie till then

            try:
                response = client.post(
                    "/api/v1/transactions/raw", json=wallet.sign(RECIPIENT, COIN)
                )
            except httpx.TransportError:
                pass  # already stopping: refused, which is as good as a 503
            else:
                assert response.status_code == 503
                assert response.json()["error"] == "storage_failed"
        assert node.proc is not None
        assert node.proc.wait(timeout=30) == 1
        stderr = node.stderr_text()
        assert "chaindeck node: the database writer stopped" in stderr
        assert "Traceback" not in stderr
    finally:
        node.kill()

    again = NodeProcess(data).start()
    try:
        with again.client() as client:
            balance = client.get(f"/api/v1/wallets/{wallet.address}/balance").json()
            assert balance["balance"] == 10 and balance["nonce"] == 0  # the refused one: gone
            wallet.nonce = 0
            tx = client.post("/api/v1/transactions/raw", json=wallet.sign(RECIPIENT, COIN))
            assert tx.status_code == 201, tx.text
            wait_confirmed(client, tx.json()["hash"])
    finally:
        again.stop()

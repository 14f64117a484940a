"""WebSocket /ws: events arrive, subscriptions filter, a slow client lags and slows nothing."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.sync.client import connect as connect_sync

from backend.chain.units import COIN
from tests.helpers.node_process import NodeProcess
from tests.helpers.raw_ws import NonReadingClient
from tests.helpers.wallet import TestWallet, fund, wait_confirmed

OTHER = "0x" + "31" * 20


def ws_url(node: NodeProcess) -> str:
    return node.url.replace("http://", "ws://") + "/ws"


async def next_of(ws: Any, kind: str, timeout: float = 15.0) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == kind:
                return message

    return await asyncio.wait_for(wait(), timeout)


async def test_new_transaction_then_new_block(node: NodeProcess, token: str) -> None:
    async with connect(ws_url(node)) as ws, httpx.AsyncClient(base_url=node.url) as client:
        response = await client.post(
            "/api/v1/transactions",
            json={"from": "wallet7", "to": OTHER, "amount": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        tx = response.json()
        seen = await next_of(ws, "new_transaction")
        assert seen["transaction"]["hash"] == tx["hash"]
        assert seen["transaction"]["status"] == "pending"
        assert seen["transaction"]["fromLabel"] == "wallet7"
        block = (await next_of(ws, "new_block"))["block"]
        assert block["txCount"] >= 1 and "transactions" not in block
        detail = (await client.get(f"/api/v1/transactions/{tx['hash']}")).json()
        assert detail["blockHeight"] == block["height"]


async def test_subscribe_filters_channels(node: NodeProcess, token: str) -> None:
    async with connect(ws_url(node)) as ws, httpx.AsyncClient(base_url=node.url) as client:
        await ws.send(json.dumps({"type": "subscribe", "channels": ["blocks"]}))
        assert (await next_of(ws, "subscribed"))["channels"] == ["blocks"]
        await client.post(
            "/api/v1/transactions",
            json={"from": "wallet7", "to": OTHER, "amount": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        first = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert first["type"] == "new_block"
        await ws.send(json.dumps({"type": "subscribe", "channels": ["status"]}))
        await next_of(ws, "subscribed")
        status = (await next_of(ws, "network_status", timeout=5))["status"]
        assert status["role"] == "producer" and "blockHeight" in status


async def test_bad_client_messages_get_an_error_and_the_socket_stays(node: NodeProcess) -> None:
    async with connect(ws_url(node)) as ws:
        for bad in ("not json", '{"type": "dance"}', '{"type": "subscribe", "channels": ["x"]}'):
            await ws.send(bad)
            error = await next_of(ws, "error")
            assert error["message"]
        await ws.send(json.dumps({"type": "subscribe", "channels": ["status"]}))
        await next_of(ws, "subscribed")


async def test_binary_frames_are_read_as_json_too(node: NodeProcess) -> None:
    async with connect(ws_url(node)) as ws:
        await ws.send(b"\xff\xfe not utf-8")
        assert (await next_of(ws, "error"))["message"]
        await ws.send(json.dumps({"type": "subscribe", "channels": ["status"]}).encode())
        assert (await next_of(ws, "subscribed"))["channels"] == ["status"]
        assert (await next_of(ws, "network_status", timeout=5))["status"]["blockHeight"] >= 0


def test_a_client_that_never_reads_lags_and_does_not_slow_the_node(
    node: NodeProcess, token: str
) -> None:
    host, port = node.url.removeprefix("http://").split(":")
    slow = NonReadingClient(host, int(port))

    blocks_seen: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        with connect_sync(ws_url(node)) as ws:
            ws.send(json.dumps({"type": "subscribe", "channels": ["blocks"]}))
            while not stop.is_set():
                try:
                    message = json.loads(ws.recv(timeout=0.5))
                except TimeoutError:
                    continue
                if message["type"] == "new_block":
                    blocks_seen.append(message["block"]["height"])

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        with node.client() as client:
            time.sleep(0.5)  # the reader has subscribed
            start_height = client.get("/api/v1/network/status").json()["blockHeight"]
            wallet = TestWallet(node.ready["chainId"])
            wait_confirmed(client, fund(client, token, wallet.address, 100, source="wallet8"))
            last = ""
            for _ in range(20):
                batch = [wallet.sign(OTHER, COIN // 1000, memo="x" * 200) for _ in range(1000)]
                body = client.post("/api/v1/transactions/batch", json=batch).json()
                assert body["rejected"] == []
                last = body["accepted"][-1]
            wait_confirmed(client, last, timeout=120)
            end_height = client.get("/api/v1/network/status").json()["blockHeight"]
        deadline = time.monotonic() + 10
        while (not blocks_seen or blocks_seen[-1] < end_height) and time.monotonic() < deadline:
            time.sleep(0.05)
        # the attentive client saw every block although another client read nothing
        assert [h for h in blocks_seen if h > start_height] == list(
            range(start_height + 1, end_height + 1)
        )
        lagged = None
        for _ in range(100_000):
            message = slow.next_message()
            if message and message["type"] == "lagged":
                lagged = message
                break
        assert lagged is not None and lagged["dropped"] > 0
    finally:
        stop.set()
        watcher.join()
        slow.close()

"""A follower that never silently stops and never trusts what is not signed (node-api.md,
"Limits and safety"): restarts while it holds pending transactions, a write that fails under it,
and a relay between it and its producer that rewrites labels. Real processes and sockets."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from tests.helpers.node_process import NodeProcess
from tests.integration.test_data_dir_safety import _fill, small_disk  # noqa: F401 - fixture
from tests.integration.test_follower import height, wait_for

ATTACKER = "0x" + "66" * 20


def _transfer(producer: NodeProcess, token: str, to: str = "wallet2") -> str:
    with producer.client(headers={"Authorization": f"Bearer {token}"}) as client:
        answer = client.post(
            "/api/v1/transactions", json={"from": "wallet1", "to": to, "amount": 1}
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["hash"]


def _status_of(node: NodeProcess, tx_hash: str) -> str | None:
    answer = httpx.get(f"{node.url}/api/v1/transactions/{tx_hash}", timeout=10)
    return answer.json().get("status") if answer.status_code == 200 else None


def _mine(producer: NodeProcess, token: str) -> None:
    with producer.client(headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.post("/api/v1/mine", json={"blocks": 1}).status_code == 200


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_follower_restarted_with_pending_transactions_replicates_again(
    tmp_path: Path, how: signal.Signals
) -> None:
    producer = NodeProcess(tmp_path / "p", "--block-time", "3600").start()
    follower = NodeProcess(tmp_path / "f", "--peer", producer.url).start()
    try:
        token = producer.token()
        pending = [_transfer(producer, token) for _ in range(3)]
        wait_for(
            lambda: all(_status_of(follower, h) == "pending" for h in pending),
            what="the follower to mirror the pending transactions",
        )
        if how == signal.SIGKILL:
            follower.kill()
        else:
            assert follower.stop(how) == 0
        follower = NodeProcess(tmp_path / "f", "--peer", producer.url).start()
        _mine(producer, token)
        wait_for(lambda: height(follower.url) == height(producer.url) == 1, what="block 1")
        assert all(_status_of(follower, h) == "confirmed" for h in pending)
        _transfer(producer, token)
        _mine(producer, token)
        wait_for(lambda: height(follower.url) == 2, what="block 2")
        assert httpx.get(follower.url + "/health").status_code == 200
    finally:
        follower.stop()
        producer.stop()
    assert "UNIQUE constraint" not in follower.stderr_text()


def test_a_follower_that_cannot_apply_blocks_says_so_and_recovers(
    tmp_path: Path,
    small_disk: Path,  # noqa: F811 - the fixture
) -> None:
    producer = NodeProcess(tmp_path / "p", "--block-time", "3600").start()
    follower = NodeProcess(small_disk / "f", "--peer", producer.url).start()
    try:
        token = producer.token()
        filler = _fill(small_disk)
        for _ in range(30):  # blocks with transactions: each must be written on the follower
            for _ in range(5):
                _transfer(producer, token)
            _mine(producer, token)
            if httpx.get(follower.url + "/health").status_code == 503:
                break
        wait_for(
            lambda: httpx.get(follower.url + "/health").status_code == 503,
            what="the follower to report it stands still",
        )
        health = httpx.get(follower.url + "/health").json()
        assert health["error"] in ("storage_failed", "sync_failed"), health
        assert "disk is full" in health["message"], health
        assert height(follower.url) < height(producer.url)

        filler.unlink()
        wait_for(
            lambda: (
                height(follower.url) == height(producer.url)
                and httpx.get(follower.url + "/health").status_code == 200
            ),
            what="the follower to catch up once it can write",
        )
    finally:
        follower.stop()
        producer.stop()


# --- a relay that rewrites what the producer says -----------------------------------------------


def _forge(data: Any) -> Any:
    """Give every transaction to ATTACKER the label `wallet1` (labels are not signed)."""
    if isinstance(data, dict):
        if data.get("to") == ATTACKER:
            data["toLabel"] = "wallet1"
        for value in data.values():
            _forge(value)
    elif isinstance(data, list):
        for item in data:
            _forge(item)
    return data


class Relay:
    """An HTTP and WebSocket relay on loopback that forwards to `upstream` and forges labels."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._sock = sock
        app = Starlette(
            routes=[
                WebSocketRoute("/ws", self._ws),
                Route("/{path:path}", self._http, methods=["GET", "POST"]),
            ]
        )
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[sock])), daemon=True
        )

    async def _http(self, request: Request) -> Response:
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with httpx.AsyncClient(base_url=self.upstream, timeout=30) as client:
            answer = await client.request(
                request.method,
                request.url.path,
                params=request.query_params,
                content=await request.body(),
                headers=headers,
            )
        body = answer.content
        if answer.headers.get("content-type", "").startswith("application/json"):
            body = orjson.dumps(_forge(orjson.loads(body)))
        passed = {k: v for k, v in answer.headers.items() if k.startswith("x-chaindeck")}
        return Response(body, answer.status_code, passed, media_type="application/json")

    async def _ws(self, websocket: WebSocket) -> None:
        await websocket.accept()
        async with websockets.connect("ws" + self.upstream[4:] + "/ws") as upstream:

            async def down() -> None:
                async for raw in upstream:
                    await websocket.send_text(orjson.dumps(_forge(orjson.loads(raw))).decode())

            task = asyncio.create_task(down())
            with contextlib.suppress(Exception):
                while True:
                    await upstream.send(await websocket.receive_text())
            task.cancel()

    def __enter__(self) -> Relay:
        self._thread.start()
        wait_for(lambda: self._server.started, what="the relay")
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)


@pytest.fixture
def producer(tmp_path: Path) -> Iterator[NodeProcess]:
    node = NodeProcess(tmp_path / "p").start()
    yield node
    node.stop()


def test_a_relay_cannot_rebind_a_label_on_a_follower(tmp_path: Path, producer: NodeProcess) -> None:
    wallet1 = httpx.get(producer.url + "/api/v1/wallets/wallet1/balance").json()["address"]
    with Relay(producer.url) as relay:
        follower = NodeProcess(tmp_path / "f", "--peer", relay.url).start()
        try:
            token = producer.token()
            sent = _transfer(producer, token, to=ATTACKER)
            wait_for(lambda: _status_of(follower, sent) == "confirmed", what="the transfer")
            on_follower = httpx.get(follower.url + "/api/v1/wallets/wallet1/balance").json()
            assert on_follower["address"] == wallet1
            tx = httpx.get(f"{follower.url}/api/v1/transactions/{sent}").json()
            assert tx.get("toLabel") != "wallet1"
        finally:
            follower.stop()
    assert "ignored the producer's label 'wallet1'" in follower.stderr_text()

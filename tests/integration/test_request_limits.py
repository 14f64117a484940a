"""What a stranger who reaches a node's port cannot do (node-api.md, "Limits and safety"): bloat
it with request heads, hold its sockets, reach it from a web page, fill its peer list, burn it
with logins, or sign one amount while a proxy reads another. Real node processes, real sockets."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.helpers.node_process import NodeProcess
from tests.helpers.wallet import TestWallet

OTHER = "0x" + "cd" * 20


def _connect(node: NodeProcess) -> socket.socket:
    host, port = node.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """Everything the node sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _rss(node: NodeProcess) -> int:
    return psutil.Process(node.pid).memory_info().rss


# --- request heads ------------------------------------------------------------------------------


def test_a_head_over_64_kib_is_431_and_the_connection_closes(node: NodeProcess) -> None:
    for path in (b"/health", b"/api/v1/blocks/0"):  # the fast lane and FastAPI alike
        with _connect(node) as sock:
            sock.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % path)
            sock.sendall(b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n")
            answer = _answer(sock)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert b'"error":"header_too_large"' in answer


def test_an_endless_head_costs_the_node_no_memory(node: NodeProcess) -> None:
    before = _rss(node)
    sent = 0
    with _connect(node) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
        try:
            for _ in range(256):  # up to 16 MiB of one header that never ends
                sock.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass  # refused and closed part-way: what should happen
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert sent < 4 * 1024 * 1024, "the node read megabytes of a head before refusing it"
    assert _rss(node) - before < 20 * 1024 * 1024
    assert httpx.get(node.url + "/health").status_code == 200


@pytest.mark.slow
def test_unfinished_heads_and_silent_connections_are_closed(node: NodeProcess) -> None:
    """A head not complete within 30 s is closed, and so is a connection that never sends one:
    1,100 of them once made /health fail at a 1024 open-file limit."""
    silent = [_connect(node) for _ in range(20)]
    unfinished = [_connect(node) for _ in range(20)]
    for sock in unfinished:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
    started = time.monotonic()
    for sock in silent + unfinished:
        sock.settimeout(60)
    answers = [_answer(sock) for sock in unfinished]
    assert all(not _answer(sock) for sock in silent)
    closed_after = time.monotonic() - started
    for sock in silent + unfinished:
        sock.close()
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), answers[0][:100]
    print(f"unfinished heads closed after {closed_after:.1f} s")
    assert httpx.get(node.url + "/health").status_code == 200


# --- a web page ---------------------------------------------------------------------------------


def test_a_post_body_that_is_not_json_is_415(node: NodeProcess, token: str) -> None:
    """A page may POST text/plain anywhere without asking; application/json needs a preflight."""
    auth = {"Authorization": f"Bearer {token}"}
    for path, headers in (
        ("/api/v1/transactions/raw", {}),
        ("/api/v1/transactions/batch", {}),
        ("/api/v1/auth/login", {}),
        ("/api/v1/transactions", auth),
        ("/api/v1/mine", auth),
    ):
        answer = httpx.post(
            node.url + path,
            content=b'{"blocks": 1}',
            headers={"Content-Type": "text/plain", **headers},
        )
        assert answer.status_code == 415, (path, answer.text)
        assert answer.json()["error"] == "unsupported_media_type"
    preflight = httpx.options(
        node.url + "/api/v1/transactions/raw",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code >= 400
    assert "access-control-allow-origin" not in preflight.headers
    assert httpx.get(node.url + "/api/v1/network/status").json()["blockHeight"] >= 0


def test_a_loopback_node_answers_only_to_loopback_host_names(node: NodeProcess) -> None:
    port = node.url.rsplit(":", 1)[1]
    for path in ("/health", "/api/v1/network/status", "/api/v1/blocks/0"):
        rebound = httpx.get(node.url + path, headers={"Host": f"attacker.example:{port}"})
        assert rebound.status_code == 403, (path, rebound.text)
        assert rebound.json()["error"] == "forbidden_host"
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
            assert httpx.get(node.url + path, headers={"Host": host}).status_code == 200


def _ws_status(node: NodeProcess, **headers: str) -> int:
    async def attempt() -> int:
        try:
            async with connect(
                "ws" + node.url[4:] + "/ws", additional_headers=headers, open_timeout=10
            ):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    return asyncio.run(attempt())


def test_websocket_upgrades_from_a_web_page_are_refused(node: NodeProcess) -> None:
    assert _ws_status(node) == 101  # scripts and the app send no Origin
    assert _ws_status(node, Origin="http://localhost:3000") == 101
    assert _ws_status(node, Origin="http://127.0.0.1:8080") == 101
    assert _ws_status(node, Origin="https://attacker.example") == 403
    assert _ws_status(node, Origin="null") == 403


def test_allow_origin_lets_one_page_in_and_max_ws_clients_caps_the_rest() -> None:
    with NodeProcess(
        None, "--allow-origin", "https://dash.example", "--max-ws-clients", "3"
    ) as node:
        assert _ws_status(node, Origin="https://dash.example") == 101
        assert _ws_status(node, Origin="https://other.example") == 403

        async def fill() -> tuple[list[int], int]:
            url = "ws" + node.url[4:] + "/ws"
            held = [await connect(url, open_timeout=10) for _ in range(3)]
            await asyncio.sleep(0.3)
            try:
                async with connect(url, open_timeout=10):
                    extra = 101
            except InvalidStatus as exc:
                extra = exc.response.status_code
            for ws in held:
                await ws.close()
            await asyncio.sleep(0.3)
            async with connect(url, open_timeout=10):
                after = 101
            return [extra], after

        (extra,), after = asyncio.run(fill())
        assert extra == 503 and after == 101


# --- the peer list and logins -------------------------------------------------------------------


def test_only_followers_with_the_operators_token_are_listed(node: NodeProcess, token: str) -> None:
    for n in range(50):
        httpx.get(node.url + "/health", headers={"x-chaindeck-follower": f"http://x{n}:1 5"})
    peers = httpx.get(node.url + "/api/v1/network/status").json()["peers"]
    assert not [p for p in peers if p["url"].startswith("http://x")]
    proven = {"x-chaindeck-follower": "http://proven:1 5", "Authorization": f"Bearer {token}"}
    assert httpx.get(node.url + "/health", headers=proven).status_code == 200
    peers = httpx.get(node.url + "/api/v1/network/status").json()["peers"]
    assert [p["url"] for p in peers] == ["http://proven:1"]


def test_a_burst_of_bad_logins_is_limited_before_it_is_hashed() -> None:
    with NodeProcess(None) as node:
        before = _rss(node)

        async def burst() -> list[int]:
            async with httpx.AsyncClient(base_url=node.url, timeout=60) as client:
                answers = await asyncio.gather(
                    *(
                        client.post(
                            "/api/v1/auth/login", json={"username": "operator", "password": "no"}
                        )
                        for _ in range(50)
                    )
                )
            return [a.status_code for a in answers]

        codes = asyncio.run(burst())
        grew = (_rss(node) - before) / 2**20
        print(f"50 bad logins at once: {codes.count(401)} hashed, RSS +{grew:.0f} MiB")
        assert codes.count(401) <= 10 and codes.count(429) >= 40, codes
        assert grew < 200


# --- what a signature covers --------------------------------------------------------------------


@pytest.fixture
def funded(node: NodeProcess, token: str) -> Iterator[TestWallet]:
    from tests.helpers.wallet import fund, wait_confirmed

    wallet = TestWallet(node.ready["chainId"])
    with node.client() as client:
        wait_confirmed(client, fund(client, token, wallet.address, 10))
    yield wallet


def test_a_signed_transaction_with_a_key_twice_is_refused(
    node: NodeProcess, funded: TestWallet
) -> None:
    tx = funded.sign(OTHER, 100_000_000)
    text = json.dumps(tx)
    twice = text[:-1] + ', "amount": 9999}'
    escaped = text[:-1] + ', "\\u0061mount": 9999}'
    headers = {"Content-Type": "application/json"}
    with node.client() as client:
        for body in (twice, escaped):
            answer = client.post("/api/v1/transactions/raw", content=body, headers=headers)
            assert answer.status_code == 400, answer.text
            assert answer.json()["errors"][0]["field"] == "amount"
        batch = client.post("/api/v1/transactions/batch", content=f"[{twice}]", headers=headers)
        assert batch.status_code == 400, batch.text
        # A memo that spells a field's name is no duplicate.
        named = funded.sign(OTHER, 100_000_000, memo="amount")
        assert client.post("/api/v1/transactions/raw", json=named).status_code == 201

"""A follower's link to its producer: heartbeats, block ranges, the live feed, and forwarding.

Everything here goes through the producer's public API (shared/spec/node-api.md) plus two
headers (peers.py), so a follower can follow any ChainDeck node, another follower included.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import websockets
from websockets.asyncio.client import connect

from backend.chain.mempool import Rejected
from backend.chain.transaction import Transaction
from backend.node.peers import FOLLOWER_HEADER, PRODUCER_KEY_HEADER

log = logging.getLogger("chaindeck.upstream")

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# Full blocks are big (a 5,000-transaction block is ~2.5 MB of JSON): a range read waits longer.
RANGE_TIMEOUT = httpx.Timeout(60.0, connect=3.0)
LOGIN_RETRY_S = 30.0
JSON_BODY = {"content-type": "application/json"}  # the node refuses other POST bodies (415)


class FollowError(Exception):
    """The follower cannot start; the message says why, for a person."""


class LinkError(Exception):
    """The producer could not be reached or answered something unusable."""


class NotAProducer(LinkError):
    """What answered is not a ChainDeck node: waiting will not change that."""


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
        return str(body.get("error", "error")), str(body.get("message", response.text[:200]))
    except (ValueError, AttributeError):
        return "error", f"the producer answered {response.status_code}"


class ProducerLink:
    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/")
        self._user, self._password = user, password
        self._token: str | None = None
        self._next_login = 0.0  # when a heartbeat may try to log in again
        self._http = httpx.AsyncClient(base_url=self.url, timeout=TIMEOUT)

    async def close(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise LinkError(detail) from None

    async def heartbeat(self, own_url: str, height: int) -> tuple[int, bytes]:
        """Tell the producer we are here; returns its height and public key. The operator token
        proves we belong to the cluster: a producer lists only followers that send one."""
        headers = {FOLLOWER_HEADER: f"{own_url} {height}"}
        if self._token is None and time.monotonic() >= self._next_login:
            self._next_login = time.monotonic() + LOGIN_RETRY_S
            with contextlib.suppress(LinkError):
                await self._login()
        if self._token is not None:
            headers["authorization"] = f"Bearer {self._token}"
        response = await self._request("GET", "/health", headers=headers)
        if response.status_code == 401 and self._token is not None:
            self._token = None  # expired: the next beat logs in again
            raise LinkError("/health refused the operator token")
        key = response.headers.get(PRODUCER_KEY_HEADER)
        if response.status_code == 503:  # starting, or itself a follower without its producer
            raise LinkError(f"/health answered 503: {_error_of(response)[1]}")
        if response.status_code != 200 or key is None:
            raise NotAProducer(
                f"{self.url} is not a ChainDeck node that serves followers "
                f"(/health answered {response.status_code})"
            )
        try:
            raw_key = bytes.fromhex(key)
            height = int(response.json()["height"])
        except (ValueError, KeyError, TypeError):
            raise LinkError(f"{self.url} answered /health with something unusable") from None
        if len(raw_key) != 32:
            raise LinkError(f"{self.url} sent a malformed producer key")
        return height, raw_key

    async def status(self) -> dict[str, Any]:
        response = await self._request("GET", "/api/v1/network/status")
        if response.status_code != 200:
            raise LinkError(f"network/status answered {response.status_code}")
        return response.json()

    async def blocks(self, start: int, end: int) -> bytes:
        """Raw JSON of full blocks start..end; parsing is the caller's (off the loop)."""
        response = await self._request(
            "GET",
            "/api/v1/blocks/range",
            params={"from": start, "to": end},
            timeout=RANGE_TIMEOUT,
        )
        if response.status_code != 200:
            raise LinkError(f"blocks/range answered {response.status_code}")
        return response.content

    async def submit(self, txs: list[Transaction]) -> list[Transaction | Rejected]:
        """Forward signed transactions; one result per transaction, in order."""
        if len(txs) == 1:
            response = await self._request(
                "POST",
                "/api/v1/transactions/raw",
                content=orjson.dumps(txs[0].to_json()),
                headers=JSON_BODY,
            )
            if response.status_code == 201:
                return [txs[0]]
            code, message = _error_of(response)
            return [Rejected(response.status_code, code, message)]
        response = await self._request(
            "POST",
            "/api/v1/transactions/batch",
            content=orjson.dumps([tx.to_json() for tx in txs]),
            headers=JSON_BODY,
        )
        if response.status_code != 200:
            code, message = _error_of(response)
            return [Rejected(response.status_code, code, message) for _ in txs]
        results: list[Transaction | Rejected] = list(txs)
        for item in response.json().get("rejected", []):
            results[item["index"]] = Rejected(422, item["error"], item["message"])
        return results

    async def _login(self) -> None:
        response = await self._request(
            "POST",
            "/api/v1/auth/login",
            json={"username": self._user, "password": self._password},
        )
        if response.status_code != 200:
            raise LinkError(
                "the producer refused this follower's operator credentials; start the "
                "follower with the producer's --operator"
            )
        self._token = response.json()["token"]

    async def operator(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        """An operator request done on the producer with this follower's credentials."""
        for attempt in range(2):
            if self._token is None:
                await self._login()
            response = await self._request(
                method,
                path,
                content=body or None,
                headers={
                    "authorization": f"Bearer {self._token}",
                    "content-type": "application/json",
                },
            )
            if response.status_code == 401 and attempt == 0:
                self._token = None  # expired: log in again once
                continue
            try:
                return response.status_code, response.json()
            except ValueError:
                raise LinkError(f"{path} answered {response.status_code} without JSON") from None
        raise AssertionError("unreachable")

    async def feed(self) -> AsyncIterator[dict[str, Any]]:
        """The producer's WebSocket: new blocks and transactions, until it drops."""
        ws_url = "ws" + self.url[4:] + "/ws"
        try:
            async with connect(ws_url, open_timeout=5, max_size=None, ping_interval=20) as ws:
                subscribe = {"type": "subscribe", "channels": ["blocks", "transactions"]}
                await ws.send(orjson.dumps(subscribe).decode())
                async for raw in ws:
                    yield orjson.loads(raw)
        except (TimeoutError, OSError, websockets.WebSocketException) as exc:
            raise LinkError(f"feed: {type(exc).__name__}: {exc}") from None

"""A ChainDeck node over REST and WebSocket (shared/spec/node-api.md).

Every call has a timeout and turns transport failures and error answers into `NodeError`, so a
caller has one thing to catch. Operator calls log in on first use and again when a token expires.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import websockets

from app.clients.errors import NodeError
from app.clients.snapshot import NodeSnapshot

Json = Any
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


def _number(value: Json) -> Json:
    return float(value) if isinstance(value, Decimal) else value


class NativeClient:
    kind = "native"
    # What the views may offer; an Ethereum node lacks some (app/clients/ethereum.py).
    features = frozenset({"create_wallet", "fee", "memo", "labels", "address_history", "mine"})

    def __init__(self, url: str, username: str | None = None, password: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.password = password
        self._token: str | None = None
        self._http = httpx.AsyncClient(base_url=self.url, timeout=TIMEOUT)
        self.last_latency_ms = 0.0

    async def close(self) -> None:
        await self._http.aclose()

    # -- transport ---------------------------------------------------------------------------
    async def _request(
        self, method: str, path: str, *, auth: bool = False, json_body: Json = None, **params: Any
    ) -> Json:
        for attempt in (1, 2):
            headers = {}
            if auth:
                headers["Authorization"] = f"Bearer {await self._login()}"
            started = time.perf_counter()
            try:
                response = await self._http.request(
                    method, path, json=json_body, params=params or None, headers=headers
                )
            except httpx.TimeoutException as exc:
                raise NodeError(f"{self.url} did not answer in time") from exc
            except httpx.HTTPError as exc:
                raise NodeError(f"cannot reach {self.url}: {exc or type(exc).__name__}") from exc
            self.last_latency_ms = (time.perf_counter() - started) * 1000
            if response.status_code == 401 and auth and attempt == 1:
                self._token = None  # expired: log in again once
                continue
            try:
                body = response.json() if response.content else None
            except ValueError:
                body = None
            if response.status_code >= 400:
                raise NodeError.from_response(response.status_code, body)
            return body
        raise AssertionError("unreachable")

    async def _login(self) -> str:
        if self._token:
            return self._token
        if not self.username or self.password is None:
            raise NodeError(
                "this needs the node's operator credentials; add them to the connection",
                status=401,
                code="unauthorized",
            )
        body = await self._request(
            "POST",
            "/api/v1/auth/login",
            json_body={"username": self.username, "password": self.password},
        )
        self._token = str(body["token"])
        return self._token

    # -- reads -------------------------------------------------------------------------------
    async def health(self, *, as_operator: bool = False) -> Json:
        """`as_operator`: with the operator's token (a node started `--private` wants one)."""
        return await self._request("GET", "/health", auth=as_operator)

    async def status(self) -> Json:
        return await self._request("GET", "/api/v1/network/status")

    async def snapshot(self) -> NodeSnapshot:
        status = await self.status()
        return NodeSnapshot(
            kind=self.kind,
            version=f"chaindeck {status.get('version', '')}".strip(),
            chain_id=str(status.get("chainId", "")),
            height=int(status.get("blockHeight", -1)),
            latest_hash=str(status.get("latestHash", "")),
            peers=len(status.get("peers") or []),
            mempool=int(status.get("mempoolSize", 0)),
            latency_ms=self.last_latency_ms,
            role=str(status.get("role", "")),
            problem=str(status.get("problem", "")),
            extra={"peerList": status.get("peers") or [], "uptime": status.get("uptime")},
        )

    async def metrics_text(self) -> str:
        """The node's Prometheus page (process CPU and memory for the health graphs)."""
        try:
            response = await self._http.get("/metrics")
        except httpx.HTTPError as exc:
            raise NodeError(f"cannot reach {self.url}: {exc or type(exc).__name__}") from exc
        if response.status_code >= 400:
            code = response.status_code
            raise NodeError(f"/metrics answered {code}", status=code)
        return response.text

    async def blocks(self, limit: int = 50, offset: int = 0) -> list[Json]:
        return await self._request("GET", "/api/v1/blocks", limit=limit, offset=offset)

    async def block(self, ref: int | str) -> Json:
        return await self._request("GET", f"/api/v1/blocks/{ref}")

    async def block_range(self, first: int, last: int) -> list[Json]:
        """Full blocks first..last, oldest first. A node answers at most 500 blocks and 16 MiB
        at a time, so this asks again from the next height until it has them all."""
        blocks: list[Json] = []
        while first <= last:
            got = await self._request(
                "GET", "/api/v1/blocks/range", **{"from": first, "to": min(last, first + 499)}
            )
            if not got:
                break  # the node does not have them (yet)
            blocks += got
            first = int(got[-1]["height"]) + 1
        return blocks

    async def transactions(self, limit: int = 50, offset: int = 0) -> list[Json]:
        return await self._request("GET", "/api/v1/transactions", limit=limit, offset=offset)

    async def transaction(self, tx_hash: str) -> Json:
        return await self._request("GET", f"/api/v1/transactions/{tx_hash}")

    async def balance(self, ref: str) -> Json:
        return await self._request("GET", f"/api/v1/wallets/{ref}/balance")

    async def address_transactions(self, ref: str, limit: int = 50, offset: int = 0) -> list[Json]:
        return await self._request(
            "GET", f"/api/v1/wallets/{ref}/transactions", limit=limit, offset=offset
        )

    # -- operator ----------------------------------------------------------------------------
    async def wallets(self) -> list[Json]:
        return await self._request("GET", "/api/v1/wallets", auth=True)

    async def create_wallet(self, label: str | None = None) -> Json:
        body = {"label": label} if label else {}
        return await self._request("POST", "/api/v1/wallets", auth=True, json_body=body)

    async def send(
        self, sender: str, to: str, amount: Json, fee: Json = None, memo: str = ""
    ) -> Json:
        # JSON has no decimals: an exact Decimal of at most 8 places goes as the float whose
        # shortest form is those same digits, which the node reads back exactly.
        body: dict[str, Json] = {"from": sender, "to": to, "amount": _number(amount)}
        if fee is not None:
            body["fee"] = _number(fee)
        if memo:
            body["description"] = memo
        return await self._request("POST", "/api/v1/transactions", auth=True, json_body=body)

    async def mine(self, blocks: int = 1) -> list[Json]:
        return await self._request("POST", "/api/v1/mine", auth=True, json_body={"blocks": blocks})

    async def check_login(self) -> None:
        self._token = None
        await self._login()

    # -- live --------------------------------------------------------------------------------
    async def subscribe(
        self, channels: tuple[str, ...] = ("blocks", "transactions", "status")
    ) -> AsyncIterator[Json]:
        """Messages from /ws until the socket closes (then NodeError)."""
        ws_url = "ws" + self.url[len("http") :] + "/ws"
        try:
            async with websockets.connect(
                ws_url, open_timeout=5, ping_interval=20, ping_timeout=20, max_size=2**22
            ) as ws:
                await ws.send(json.dumps({"type": "subscribe", "channels": list(channels)}))
                yield {"type": "subscribed"}  # not from the node: the feed is open from here
                async for raw in ws:
                    yield json.loads(raw)
        except (TimeoutError, OSError, websockets.WebSocketException) as exc:
            reason = str(exc) or type(exc).__name__
            raise NodeError(f"live feed from {self.url} closed: {reason}") from exc
        raise NodeError(f"live feed from {self.url} closed")

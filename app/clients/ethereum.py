"""An Ethereum node over JSON-RPC (anvil, geth, Hardhat): the reads the fleet view and the
`status`/`watch` commands need, in the same shapes the native client gives.

Amounts are in ether, heights are ints, hashes stay 0x-hex. New heads come from
`eth_subscribe("newHeads")` over WebSocket where the node offers it, else from polling.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets

from app.clients.errors import NodeError
from app.clients.snapshot import NodeSnapshot

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
POLL_S = 1.0
WEI = 10**18


def _int(value: Any) -> int:
    return int(str(value), 16) if isinstance(value, str) else int(value or 0)


def block_summary(raw: dict[str, Any]) -> dict[str, Any]:
    """An Ethereum block in the native summary's shape (timestamp in ms, as ours)."""
    txs = raw.get("transactions") or []
    return {
        "height": _int(raw["number"]),
        "hash": raw["hash"],
        "previousHash": raw.get("parentHash", ""),
        "timestamp": _int(raw.get("timestamp")) * 1000,
        "producer": raw.get("miner", ""),
        "txCount": len(txs),
        "size": _int(raw.get("size")),
        "gasUsed": _int(raw.get("gasUsed")),
        "gasLimit": _int(raw.get("gasLimit")),
    }


class EthereumClient:
    kind = "ethereum"

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.url, timeout=TIMEOUT)
        self._ids = 0
        self.last_latency_ms = 0.0

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, method: str, *params: Any) -> Any:
        self._ids += 1
        body = {"jsonrpc": "2.0", "id": self._ids, "method": method, "params": list(params)}
        started = time.perf_counter()
        try:
            response = await self._http.post("", json=body)
        except httpx.TimeoutException as exc:
            raise NodeError(f"{self.url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise NodeError(f"cannot reach {self.url}: {exc or type(exc).__name__}") from exc
        self.last_latency_ms = (time.perf_counter() - started) * 1000
        try:
            answer = response.json()
        except ValueError:
            raise NodeError(f"{self.url} answered {response.status_code}, not JSON-RPC") from None
        if not isinstance(answer, dict):
            raise NodeError(f"{self.url} answered something that is not JSON-RPC")
        if "error" in answer:
            error = answer["error"] or {}
            raise NodeError(
                f"{method}: {error.get('message', error)}", status=400, code="rpc_error"
            )
        return answer.get("result")

    async def _optional(self, method: str, *params: Any) -> Any:
        """A call some clients do not offer (txpool_status): None instead of an error."""
        try:
            return await self.call(method, *params)
        except NodeError as exc:
            if exc.unreachable:
                raise
            return None

    async def status(self) -> dict[str, Any]:
        started = time.perf_counter()
        version, chain_id, head, peers, syncing, gas_price, pool = await asyncio.gather(
            self.call("web3_clientVersion"),
            self.call("eth_chainId"),
            self.call("eth_getBlockByNumber", "latest", False),
            self._optional("net_peerCount"),
            self._optional("eth_syncing"),
            self._optional("eth_gasPrice"),
            self._optional("txpool_status"),
        )
        self.last_latency_ms = (time.perf_counter() - started) * 1000
        mempool = None
        if isinstance(pool, dict):
            mempool = _int(pool.get("pending")) + _int(pool.get("queued"))
        return {
            "version": version,
            "chainId": str(_int(chain_id)),
            "blockHeight": _int(head["number"]),
            "latestHash": head["hash"],
            "peers": _int(peers) if peers is not None else None,
            "syncing": bool(syncing),
            "gasPriceGwei": _int(gas_price) / 1e9 if gas_price is not None else None,
            "mempoolSize": mempool,
            "role": "ethereum",
        }

    async def snapshot(self) -> NodeSnapshot:
        status = await self.status()
        return NodeSnapshot(
            kind=self.kind,
            version=str(status["version"]),
            chain_id=status["chainId"],
            height=status["blockHeight"],
            latest_hash=status["latestHash"],
            peers=status["peers"],
            mempool=status["mempoolSize"],
            latency_ms=self.last_latency_ms,
            role="",
            extra={"syncing": status["syncing"], "gasPriceGwei": status["gasPriceGwei"]},
        )

    async def block(self, ref: int | str) -> dict[str, Any]:
        tag = hex(ref) if isinstance(ref, int) else ref
        method = "eth_getBlockByHash" if len(str(tag)) == 66 else "eth_getBlockByNumber"
        raw = await self.call(method, tag, False)
        if raw is None:
            raise NodeError(f"no block {ref}", status=404, code="not_found")
        return block_summary(raw)

    async def balance(self, address: str) -> dict[str, Any]:
        wei, nonce = await asyncio.gather(
            self.call("eth_getBalance", address, "latest"),
            self.call("eth_getTransactionCount", address, "latest"),
        )
        return {"address": address, "balance": _int(wei) / WEI, "nonce": _int(nonce)}

    async def new_heads(self) -> AsyncIterator[dict[str, Any]]:
        """Block summaries as they come, from the first new one on; never ends by itself."""
        try:
            async for summary in self._subscribed():
                yield summary
            return
        except NodeError:
            pass  # no WebSocket here: poll instead
        async for summary in self._polled():
            yield summary

    def block_feed(self) -> AsyncIterator[dict[str, Any]]:
        return self.new_heads()

    async def _subscribed(self) -> AsyncIterator[dict[str, Any]]:
        ws_url = "ws" + self.url[len("http") :]
        try:
            async with websockets.connect(ws_url, open_timeout=3, max_size=2**22) as ws:
                await ws.send(
                    json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "id": 1,
                            "method": "eth_subscribe",
                            "params": ["newHeads"],
                        }
                    )
                )
                reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if "result" not in reply:
                    raise NodeError("newHeads subscription refused", status=400)
                async for raw in ws:
                    header = json.loads(raw).get("params", {}).get("result")
                    if isinstance(header, dict) and "number" in header:
                        yield await self.block(_int(header["number"]))
        except (TimeoutError, OSError, websockets.WebSocketException, ValueError) as exc:
            raise NodeError(f"newHeads over WebSocket: {exc or type(exc).__name__}") from exc

    async def _polled(self) -> AsyncIterator[dict[str, Any]]:
        last = _int(await self.call("eth_blockNumber"))
        while True:
            await asyncio.sleep(POLL_S)
            top = _int(await self.call("eth_blockNumber"))
            for height in range(last + 1, top + 1):
                yield await self.block(height)
            last = max(last, top)

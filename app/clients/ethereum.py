"""An Ethereum node over JSON-RPC (anvil, geth, Hardhat) behind the native client's interface:
status, blocks and transactions, accounts (`eth_accounts`) and sending from unlocked ones, live
new heads. The explorer, wallets, fleet and health views use it as they use a ChainDeck node;
`features` says what the protocol lacks (no node-made wallets, no fee field, no address index).

Amounts are in ether, heights are ints, hashes stay 0x-hex. New heads come from
`eth_subscribe("newHeads")` over WebSocket where the node offers it, else from polling.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import websockets

from app.clients.errors import NodeError
from app.clients.snapshot import NodeSnapshot

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
POLL_S = 1.0
WEI = 10**18
FEATURES = frozenset({"memo", "mine"})


def _int(value: Any) -> int:
    return int(str(value), 16) if isinstance(value, str) else int(value or 0)


def tx_summary(raw: dict[str, Any], receipt: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Ethereum transaction in the native shape: ether amounts, the fee once mined, gas."""
    height = raw.get("blockNumber")
    fee = None
    if receipt is not None:
        price = receipt.get("effectiveGasPrice") or raw.get("gasPrice")
        fee = _int(receipt.get("gasUsed")) * _int(price) / WEI
    data = raw.get("input") or "0x"
    try:
        memo = bytes.fromhex(data[2:]).decode() if len(data) > 2 else ""
    except (ValueError, UnicodeDecodeError):
        memo = ""  # contract calls carry binary data, not a memo
    return {
        "hash": raw["hash"],
        "from": raw.get("from", ""),
        "to": raw.get("to") or (receipt or {}).get("contractAddress") or "",
        "amount": _int(raw.get("value")) / WEI,
        "fee": fee,
        "nonce": _int(raw.get("nonce")),
        "memo": memo,
        "gas": _int(raw.get("gas")),
        "gasUsed": _int(receipt.get("gasUsed")) if receipt else None,
        "status": "pending" if height is None else "confirmed",
        "blockHeight": None if height is None else _int(height),
        "blockHash": raw.get("blockHash"),
    }


def account_label(index: int) -> str:
    """How Wallets names the node's unlocked accounts, in `eth_accounts` order."""
    return f"account{index + 1}"


def _is_address(ref: str) -> bool:
    return ref.startswith("0x") and len(ref) == 42


def block_summary(raw: dict[str, Any]) -> dict[str, Any]:
    """An Ethereum block in the native summary's shape (timestamp in ms, as ours)."""
    txs = raw.get("transactions") or []
    full = [tx_summary(t) for t in txs if isinstance(t, dict)]
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
        **({"transactions": full} if full else {}),
    }


class EthereumClient:
    kind = "ethereum"
    features = FEATURES
    username: str | None = None  # JSON-RPC has no operator login: unlocked accounts send
    password: str | None = None

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
            "peerCount": _int(peers) if peers is not None else None,
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
            peers=status["peerCount"],
            mempool=status["mempoolSize"],
            latency_ms=self.last_latency_ms,
            role="",
            extra={"syncing": status["syncing"], "gasPriceGwei": status["gasPriceGwei"]},
        )

    async def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Several calls in one JSON-RPC batch; results in the order asked."""
        if not calls:
            return []
        body = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        started = time.perf_counter()
        try:
            response = await self._http.post("", json=body)
            answers = response.json()
        except httpx.HTTPError as exc:
            raise NodeError(f"cannot reach {self.url}: {exc or type(exc).__name__}") from exc
        except ValueError:
            raise NodeError(f"{self.url} answered a batch with something not JSON") from None
        self.last_latency_ms = (time.perf_counter() - started) * 1000
        if not isinstance(answers, list):  # a node without batches: one by one
            return [await self.call(method, *params) for method, params in calls]
        by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
        results = []
        for i, (method, _params) in enumerate(calls):
            answer = by_id.get(i, {})
            if "error" in answer or "result" not in answer:
                error = answer.get("error") or {}
                raise NodeError(f"{method}: {error.get('message', 'no answer')}", status=400)
            results.append(answer["result"])
        return results

    async def health(self) -> Any:
        return await self.call("web3_clientVersion")

    async def block(self, ref: int | str) -> dict[str, Any]:
        tag = hex(ref) if isinstance(ref, int) else ref
        method = "eth_getBlockByHash" if len(str(tag)) == 66 else "eth_getBlockByNumber"
        raw = await self.call(method, tag, True)
        if raw is None:
            raise NodeError(f"no block {ref}", status=404, code="not_found")
        return block_summary(raw)

    async def _headers(self, heights: list[int]) -> list[dict[str, Any]]:
        raws = await self.batch([("eth_getBlockByNumber", [hex(h), False]) for h in heights])
        return [block_summary(r) for r in raws if r is not None]

    async def blocks(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Newest first, as the native `GET /blocks`."""
        head = _int(await self.call("eth_blockNumber"))
        top = head - offset
        return await self._headers(list(range(top, max(-1, top - limit), -1)))

    async def block_range(self, first: int, last: int) -> list[dict[str, Any]]:
        return await self._headers(list(range(first, last + 1)))

    async def transactions(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """The newest transactions, from the newest blocks (Ethereum has no transaction list)."""
        found: list[dict[str, Any]] = []
        height = _int(await self.call("eth_blockNumber"))
        while height >= 0 and len(found) < offset + limit:
            found += (await self.block(height)).get("transactions", [])[::-1]
            height -= 1
        return found[offset : offset + limit]

    async def transaction(self, tx_hash: str) -> dict[str, Any]:
        raw, receipt = await self.batch(
            [("eth_getTransactionByHash", [tx_hash]), ("eth_getTransactionReceipt", [tx_hash])]
        )
        if raw is None:
            raise NodeError(f"no transaction {tx_hash}", status=404, code="not_found")
        return tx_summary(raw, receipt)

    async def address_transactions(
        self, _ref: str, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        return []  # JSON-RPC keeps no index by address (features lacks "address_history")

    # -- accounts -------------------------------------------------------------------------------
    async def wallets(self) -> list[dict[str, Any]]:
        """The node's unlocked accounts (`eth_accounts`) with balances and nonces."""
        accounts = await self.call("eth_accounts") or []
        figures = await self.batch(
            [("eth_getBalance", [a, "latest"]) for a in accounts]
            + [("eth_getTransactionCount", [a, "pending"]) for a in accounts]
        )
        n = len(accounts)
        return [
            {
                "address": a,
                "label": account_label(i),
                "balance": _int(figures[i]) / WEI,
                "nonce": _int(figures[n + i]),
            }
            for i, a in enumerate(accounts)
        ]

    async def create_wallet(self, label: str | None = None) -> dict[str, Any]:
        raise NodeError(
            "an Ethereum node does not make wallets for you; unlock an account on the node",
            status=400,
            code="unsupported",
        )

    async def send(
        self, sender: str, to: str, amount: Any, fee: Any = None, memo: str = ""
    ) -> dict[str, Any]:
        """From an unlocked account; gas is priced by the node, so `fee` is not used."""
        sender, to = await self._addresses(sender, to)
        tx: dict[str, Any] = {
            "from": sender,
            "to": to,
            "value": hex(int(Decimal(str(amount)) * WEI)),
        }
        if memo:
            tx["data"] = "0x" + memo.encode().hex()
        tx_hash = await self.call("eth_sendTransaction", tx)
        return await self.transaction(tx_hash)

    async def mine(self, blocks: int = 1) -> list[dict[str, Any]]:
        """Dev nodes only (anvil, Hardhat): `evm_mine`."""
        for _ in range(blocks):
            await self.call("evm_mine")
        head = _int(await self.call("eth_blockNumber"))
        return await self.block_range(max(0, head - blocks + 1), head)

    async def check_login(self) -> None:
        await self.call("eth_accounts")

    async def subscribe(self, _channels: tuple[str, ...] = ()) -> AsyncIterator[dict[str, Any]]:
        """The native feed's messages: `subscribed`, then `new_block` for each new head."""
        yield {"type": "subscribed"}
        async for summary in self.new_heads():
            yield {"type": "new_block", "block": summary}

    async def _addresses(self, *refs: str) -> list[str]:
        """Addresses for refs that may be account labels; eth_accounts is asked only when one
        is a label, so a send between addresses costs no extra round trip."""
        if all(_is_address(r) for r in refs):
            return list(refs)
        accounts = await self.call("eth_accounts") or []
        labels = {account_label(i): a for i, a in enumerate(accounts)}
        out = []
        for ref in refs:
            if not _is_address(ref) and ref not in labels:
                raise NodeError(f"no account labelled {ref}", status=404, code="not_found")
            out.append(ref if _is_address(ref) else labels[ref])
        return out

    async def balance(self, address: str) -> dict[str, Any]:
        """An address, or an account label (`account1`, as `wallets` names them)."""
        label = None if _is_address(address) else address
        (address,) = await self._addresses(address)
        wei, nonce = await asyncio.gather(
            self.call("eth_getBalance", address, "latest"),
            self.call("eth_getTransactionCount", address, "latest"),
        )
        out = {"address": address, "balance": _int(wei) / WEI, "nonce": _int(nonce)}
        return {**out, "label": label} if label else out

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
                        yield (await self._headers([_int(header["number"])]))[0]
        except (TimeoutError, OSError, websockets.WebSocketException, ValueError) as exc:
            raise NodeError(f"newHeads over WebSocket: {exc or type(exc).__name__}") from exc

    async def _polled(self) -> AsyncIterator[dict[str, Any]]:
        last = _int(await self.call("eth_blockNumber"))
        while True:
            await asyncio.sleep(POLL_S)
            top = _int(await self.call("eth_blockNumber"))
            if top > last:
                for summary in await self.block_range(last + 1, top):
                    yield summary
            last = max(last, top)

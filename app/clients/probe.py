"""Which protocol a URL speaks, and where its chain is: `/health` of a ChainDeck node, else
Ethereum JSON-RPC `web3_clientVersion` (shared/spec/cli.md)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.clients.errors import NodeError

TIMEOUT = httpx.Timeout(5.0, connect=3.0)


@dataclass(frozen=True)
class NodeInfo:
    kind: str  # native | ethereum
    height: int
    version: str
    private: bool = False  # a ChainDeck node started with --private: every read needs a token


async def _native(client: httpx.AsyncClient) -> NodeInfo | None:
    try:
        response = await client.get("/health")
        body = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    if isinstance(body, dict) and "height" in body and "role" in body:
        return NodeInfo("native", int(body["height"]), f"chaindeck {body.get('version', '?')}")
    if response.status_code == 401 and isinstance(body, dict) and "error" in body:
        return NodeInfo("native", -1, "chaindeck (private: reads need a token)", private=True)
    return None


async def _rpc(client: httpx.AsyncClient, method: str) -> object:
    response = await client.post(
        "", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": []}
    )
    body = response.json()
    if not isinstance(body, dict) or "result" not in body:
        raise ValueError(f"{method}: {body}")
    return body["result"]


async def _ethereum(client: httpx.AsyncClient) -> NodeInfo | None:
    try:
        version = await _rpc(client, "web3_clientVersion")
        height = await _rpc(client, "eth_blockNumber")
        return NodeInfo("ethereum", int(str(height), 16), str(version))
    except (httpx.HTTPError, ValueError):
        return None


async def probe(url: str, kind: str | None = None) -> NodeInfo:
    """The node's kind, height and version; `NodeError` when it answers neither protocol."""
    if not url.startswith(("http://", "https://")):
        raise NodeError(f"{url!r} is not a node URL (http://host:port)")
    async with httpx.AsyncClient(base_url=url.rstrip("/"), timeout=TIMEOUT) as client:
        try:
            await client.get("/health")
        except httpx.HTTPError as exc:
            raise NodeError(f"cannot reach {url}: {exc or type(exc).__name__}") from exc
        probes = {"native": _native, "ethereum": _ethereum}
        order = [kind] if kind else ["native", "ethereum"]
        for name in order:
            info = await probes[name](client)
            if info is not None:
                return info
    wanted = f"a {kind} node" if kind else "a ChainDeck node or Ethereum JSON-RPC"
    raise NodeError(f"{url} answers, but not as {wanted}")

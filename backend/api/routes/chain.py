"""Blocks, network status and mining on demand."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from backend.api.context import ApiContext
from backend.api.errors import ApiError, validation_error
from backend.api.forward import follower_of, forwarded
from backend.api.openapi import OPERATOR_ONLY
from backend.api.requests import Limit, Offset, block_ref, read_json, read_object
from backend.api.responses import JSON

MAX_RANGE = 500
# A range answer stops before the block that would take it past this (one block is always sent):
# 500 full blocks were 129 MB of JSON, and eight such answers at once took the node to 944 MB.
MAX_RANGE_BYTES = 16 * 1024 * 1024
RANGE_CHUNK = 20  # blocks read from the database at a time
RANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "full blocks from `from`, oldest first; fewer than asked when capped"}
}
MAX_MINE = 100
MINE_BODY = {
    "required": False,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"blocks": {"type": "integer", "minimum": 1, "maximum": MAX_MINE}},
            }
        }
    },
}


async def blocks_range_json(ctx: ApiContext, start: int, end: int) -> bytes:
    """The JSON array of full blocks start..end, read a few at a time and cut at MAX_RANGE_BYTES:
    memory stays bounded whatever the blocks hold."""
    node = ctx.node
    assert node.store is not None
    parts: list[bytes] = []
    size = 2
    while start <= end:
        found = await node.read(node.store.blocks_range, start, min(end, start + RANGE_CHUNK - 1))
        if not found:
            break
        for block in found:
            for tx in block["transactions"]:
                ctx.label_tx(tx)
            encoded = orjson.dumps(block)
            if parts and size + len(encoded) + 1 > MAX_RANGE_BYTES:
                return b"[" + b",".join(parts) + b"]"
            parts.append(encoded)
            size += len(encoded) + 1
        start = found[-1]["height"] + 1
    return b"[" + b",".join(parts) + b"]"


async def tx_hashes_range_json(ctx: ApiContext, start: int, end: int) -> bytes:
    """`?txs=hashes`: blocks start..end as `{"height", "hash", "transactions": [hash, …]}`, for a
    client that only matches transactions (a load generator's inclusion tracker): no
    transaction's JSON built, the same caps as full blocks."""
    node = ctx.node
    assert node.store is not None
    parts: list[bytes] = []
    size = 2
    while start <= end:
        found = await node.read(
            node.store.tx_hashes_range, start, min(end, start + RANGE_CHUNK * 10 - 1)
        )
        if not found:
            break
        for height, block_hash, hashes in found:
            encoded = orjson.dumps({"height": height, "hash": block_hash, "transactions": hashes})
            if parts and size + len(encoded) + 1 > MAX_RANGE_BYTES:
                return b"[" + b",".join(parts) + b"]"
            parts.append(encoded)
            size += len(encoded) + 1
        start = found[-1][0] + 1
    return b"[" + b",".join(parts) + b"]"


def chain_routes(ctx: ApiContext) -> APIRouter:
    node = ctx.node
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(ctx.auth.reader)])

    @router.get("/blocks", response_class=JSON)
    async def blocks(limit: Limit = 10, offset: Offset = 0) -> JSON:
        return JSON(await blocks_page(ctx, limit, offset))

    @router.get("/blocks/range", response_class=JSON, responses=RANGE_RESPONSES)
    async def blocks_range(
        start: Annotated[int, Query(alias="from", ge=0, le=2**62)],
        end: Annotated[int, Query(alias="to", ge=0, le=2**62)],
        txs: Annotated[Literal["full", "hashes"], Query()] = "full",
    ) -> Response:
        """At most MAX_RANGE blocks and about MAX_RANGE_BYTES of JSON: past that the answer
        stops early, and the client asks again from the next height."""
        if end < start:
            raise validation_error([{"field": "to", "message": "must not be below from"}])
        if end - start + 1 > MAX_RANGE:
            raise validation_error(
                [{"field": "to", "message": f"a range holds at most {MAX_RANGE} blocks"}]
            )
        read = tx_hashes_range_json if txs == "hashes" else blocks_range_json
        return Response(await read(ctx, start, end), media_type="application/json")

    @router.get("/blocks/{ref}", response_class=JSON, responses={404: {"description": "unknown"}})
    async def block(ref: str) -> JSON:
        height, block_hash = block_ref(ref)
        assert node.store is not None
        found = await node.read(node.store.block, height, block_hash)
        if found is None:
            raise ApiError(404, f"no block {ref}")
        for tx in found["transactions"]:
            ctx.label_tx(tx)
        return JSON(found)

    @router.get("/network/status", response_class=JSON)
    async def network_status() -> JSON:
        return JSON(node.status())

    @router.post(
        "/mine",
        response_class=JSON,
        dependencies=[Depends(ctx.auth.operator)],
        openapi_extra={"requestBody": MINE_BODY, **OPERATOR_ONLY},
    )
    async def mine(request: Request) -> JSON:
        if follower := follower_of(node):
            return await forwarded(follower, request)
        body = await request.body()
        count = 1
        if body.strip():
            data = read_object(await read_json(request))
            count = data.get("blocks", 1)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_MINE:
                raise validation_error(
                    [{"field": "blocks", "message": f"must be a whole number from 1 to {MAX_MINE}"}]
                )
        sealed = await node.mine(count)
        return JSON([b.summary() for b in sealed])

    return router


async def blocks_page(ctx: ApiContext, limit: int, offset: int) -> list[dict[str, Any]]:
    """Block summaries, newest first; shared by the route and the fast lane."""
    node = ctx.node
    assert node.store is not None
    if offset > node.head.height:
        return []
    return await node.read(node.store.blocks_page, limit, offset, node.head.height)

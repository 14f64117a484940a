"""Blocks, network status and mining on demand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from backend.api.context import ApiContext
from backend.api.errors import ApiError, validation_error
from backend.api.forward import follower_of, forwarded
from backend.api.requests import Limit, Offset, block_ref, read_json, read_object
from backend.api.responses import JSON

MAX_RANGE = 500
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


def chain_routes(ctx: ApiContext) -> APIRouter:
    node = ctx.node
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(ctx.auth.reader)])

    @router.get("/blocks", response_class=JSON)
    async def blocks(limit: Limit = 10, offset: Offset = 0) -> JSON:
        return JSON(await blocks_page(ctx, limit, offset))

    @router.get("/blocks/range", response_class=JSON)
    async def blocks_range(
        start: Annotated[int, Query(alias="from", ge=0, le=2**62)],
        end: Annotated[int, Query(alias="to", ge=0, le=2**62)],
    ) -> JSON:
        if end < start:
            raise validation_error([{"field": "to", "message": "must not be below from"}])
        if end - start + 1 > MAX_RANGE:
            raise validation_error(
                [{"field": "to", "message": f"a range holds at most {MAX_RANGE} blocks"}]
            )
        assert node.store is not None
        found = await node.read(node.store.blocks_range, start, end)
        for block in found:
            for tx in block["transactions"]:
                ctx.label_tx(tx)
        return JSON(found)

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
        openapi_extra={"requestBody": MINE_BODY},
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

"""Submitting and reading transactions."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request

from backend.api.context import ApiContext, rejection
from backend.api.errors import ApiError, validation_error
from backend.api.forward import follower_of, forwarded
from backend.api.openapi import OPERATOR_ONLY
from backend.api.requests import (
    Limit,
    Offset,
    parse_json,
    read_json,
    read_object,
    refuse_duplicate_fields,
)
from backend.api.responses import JSON
from backend.chain.crypto import is_hash
from backend.chain.mempool import Rejected
from backend.chain.transaction import (
    MAX_MEMO_BYTES,
    Transaction,
    TransactionFieldErrors,
    parse_signed,
)
from backend.chain.units import AmountError, coins_to_units, units_to_coins

MAX_BATCH = 1000
SIGNED_FIELDS = (
    *("chainId", "from", "to", "amount", "fee", "nonce", "memo"),
    *("publicKey", "signature"),
)
PARSE_SLICE = 25

_AMOUNT = {"type": "number", "exclusiveMinimum": 0}
SIGNED_TX_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["chainId", "from", "to", "amount", "fee", "nonce", "publicKey", "signature"],
    "properties": {
        "chainId": {"type": "string"},
        "from": {"type": "string", "pattern": "^0x[0-9a-f]{40}$"},
        "to": {"type": "string", "pattern": "^0x[0-9a-f]{40}$"},
        "amount": _AMOUNT,
        "fee": {"type": "number", "minimum": 0},
        "nonce": {"type": "integer", "minimum": 0},
        "memo": {"type": "string", "maxLength": MAX_MEMO_BYTES},
        "publicKey": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "signature": {"type": "string", "pattern": "^[0-9a-f]{128}$"},
    },
}
TRANSFER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["from", "to", "amount"],
    "properties": {
        "from": {"type": "string", "description": "address or label of a managed wallet"},
        "to": {"type": "string", "description": "address or label"},
        "amount": _AMOUNT,
        "fee": {"type": "number", "minimum": 0},
        "description": {"type": "string", "maxLength": MAX_MEMO_BYTES},
    },
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def transaction_routes(ctx: ApiContext) -> APIRouter:
    node = ctx.node
    router = APIRouter(prefix="/api/v1/transactions")
    reader = [Depends(ctx.auth.reader)]

    @router.get("", response_class=JSON, dependencies=reader)
    async def recent(limit: Limit = 10, offset: Offset = 0) -> JSON:
        assert node.store is not None
        rows = await node.read(node.store.transactions_page, limit, offset)
        return JSON([ctx.label_tx(tx) for tx in rows])

    @router.post(
        "",
        status_code=201,
        response_class=JSON,
        dependencies=[Depends(ctx.auth.operator)],
        openapi_extra={**_body(TRANSFER_SCHEMA), **OPERATOR_ONLY},
        responses={422: {"description": "insufficient balance"}},
    )
    async def transfer(request: Request) -> JSON:
        if follower := follower_of(node):
            return await forwarded(follower, request)
        body = read_object(await read_json(request))
        errors: list[dict[str, str]] = []
        sender = recipient = None
        ref = body.get("from")
        if not isinstance(ref, str):
            errors.append({"field": "from", "message": "is required: a managed wallet"})
        else:
            sender = node.wallets.resolve(ref)
            if sender not in node.wallets.keys:
                errors.append({"field": "from", "message": "is not a wallet this node manages"})
        ref = body.get("to")
        if not isinstance(ref, str):
            errors.append({"field": "to", "message": "is required: an address or wallet label"})
        else:
            recipient = node.wallets.resolve(ref)
            if recipient is None:
                errors.append({"field": "to", "message": "is not an address or a known label"})
        amount = fee = 0
        try:
            amount = coins_to_units(body.get("amount"))
        except AmountError as exc:
            errors.append({"field": "amount", "message": str(exc)})
        if body.get("fee") is None:
            fee = node.config.min_fee
        else:
            try:
                fee = coins_to_units(body["fee"], allow_zero=True)
                if fee < node.config.min_fee:
                    errors.append(
                        {
                            "field": "fee",
                            "message": "must be at least the node's minimum fee "
                            f"{units_to_coins(node.config.min_fee)}",
                        }
                    )
            except AmountError as exc:
                errors.append({"field": "fee", "message": str(exc)})
        memo = body.get("description", "")
        if memo is None:
            memo = ""
        if not isinstance(memo, str):
            errors.append({"field": "description", "message": "must be a string"})
        elif len(memo.encode("utf-8", "surrogatepass")) > MAX_MEMO_BYTES:
            errors.append(
                {"field": "description", "message": f"must be at most {MAX_MEMO_BYTES} bytes"}
            )
        if errors:
            raise validation_error(errors)
        assert sender is not None and recipient is not None
        result = await node.send_from_wallet(sender, recipient, amount, fee, memo)
        if isinstance(result, Rejected):
            raise rejection(result)
        return JSON(ctx.pending_view(result), status_code=201)

    @router.post(
        "/raw",
        status_code=201,
        response_class=JSON,
        dependencies=reader,
        openapi_extra=_body(SIGNED_TX_SCHEMA),
        responses={409: {"description": "duplicate"}, 422: {"description": "nonce or balance"}},
    )
    async def raw(request: Request) -> JSON:
        return JSON(await submit_raw(ctx, await request.body()), status_code=201)

    @router.post(
        "/batch",
        response_class=JSON,
        dependencies=reader,
        openapi_extra=_body({"type": "array", "maxItems": MAX_BATCH, "items": SIGNED_TX_SCHEMA}),
    )
    async def batch(request: Request) -> JSON:
        return JSON(await submit_batch(ctx, await request.body()))

    @router.get("/{tx_hash}", response_class=JSON, dependencies=reader)
    async def one(tx_hash: str) -> JSON:
        if not is_hash(tx_hash):
            raise validation_error(
                [{"field": "hash", "message": "must be 0x and 64 lowercase hex digits"}]
            )
        assert node.store is not None
        found = await node.read(node.store.transaction, tx_hash)
        if found is None:
            raise ApiError(404, f"no transaction {tx_hash}")
        return JSON(ctx.label_tx(found))

    return router


# The two submission paths, shared by the FastAPI routes and the fast lane (fast_lane.py).


def _parse(ctx: ApiContext, obj: object) -> Transaction:
    return parse_signed(obj, chain_id=ctx.node.chain_id, min_fee=ctx.node.config.min_fee)


async def submit_raw(ctx: ApiContext, body: bytes) -> dict[str, Any]:
    obj = parse_json(body)
    refuse_duplicate_fields(body, [obj], SIGNED_FIELDS)
    try:
        tx = _parse(ctx, obj)
    except TransactionFieldErrors as exc:
        raise validation_error(exc.errors) from None
    (result,) = await ctx.node.submit([tx])
    if isinstance(result, Rejected):
        raise rejection(result)
    return ctx.pending_view(result)


async def submit_batch(ctx: ApiContext, body: bytes) -> dict[str, Any]:
    items = parse_json(body)
    if not isinstance(items, list):
        raise validation_error([{"field": "body", "message": "must be a JSON array"}])
    if len(items) > MAX_BATCH:
        raise validation_error(
            [{"field": "body", "message": f"a batch holds at most {MAX_BATCH} transactions"}]
        )
    refuse_duplicate_fields(body, items, SIGNED_FIELDS)
    rejected: list[dict[str, Any]] = []
    parsed: list[Transaction] = []
    positions: list[int] = []
    for index, item in enumerate(items):
        if index and index % PARSE_SLICE == 0:
            await asyncio.sleep(0)  # let reads in between: a batch parses for milliseconds
        try:
            parsed.append(_parse(ctx, item))
            positions.append(index)
        except TransactionFieldErrors as exc:
            rejected.append({"index": index, "error": "validation_failed", "message": str(exc)})
    accepted: list[str] = []
    for index, result in zip(positions, await ctx.node.submit(parsed), strict=True):
        if isinstance(result, Rejected):
            rejected.append({"index": index, "error": result.code, "message": result.message})
        else:
            accepted.append(result.hash)
    rejected.sort(key=lambda r: r["index"])
    return {"accepted": accepted, "rejected": rejected}

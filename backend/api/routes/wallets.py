"""Managed wallets and balances."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from backend.api.context import ApiContext
from backend.api.errors import ApiError, validation_error
from backend.api.forward import follower_of, forwarded
from backend.api.openapi import OPERATOR_ONLY
from backend.api.requests import LABEL_RE, Limit, Offset, address_ref, read_json, read_object
from backend.api.responses import JSON
from backend.chain.units import units_to_coins
from backend.node.wallets import LabelTaken

CREATE_BODY = {
    "required": False,
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"label": {"type": "string"}}}
        }
    },
}


def wallet_routes(ctx: ApiContext) -> APIRouter:
    node = ctx.node
    router = APIRouter(prefix="/api/v1/wallets")
    operator = [Depends(ctx.auth.operator)]
    reader = [Depends(ctx.auth.reader)]

    def view(address: str) -> dict[str, Any]:
        return {
            "address": address,
            "label": node.wallets.labels[address],
            "balance": units_to_coins(node.ledger.balance(address)),
            "nonce": node.ledger.nonce(address),
        }

    @router.get("", response_class=JSON, dependencies=operator, openapi_extra=OPERATOR_ONLY)
    async def wallets(request: Request) -> JSON:
        if follower := follower_of(node):
            return await forwarded(follower, request)
        return JSON([view(address) for address in node.wallets.keys])

    @router.post(
        "",
        status_code=201,
        response_class=JSON,
        dependencies=operator,
        openapi_extra={"requestBody": CREATE_BODY, **OPERATOR_ONLY},
        responses={409: {"description": "label taken"}},
    )
    async def create(request: Request) -> JSON:
        if follower := follower_of(node):
            return await forwarded(follower, request)
        label = None
        if (await request.body()).strip():
            label = read_object(await read_json(request)).get("label")
        if label is not None:
            if not isinstance(label, str) or not LABEL_RE.fullmatch(label):
                raise validation_error(
                    [
                        {
                            "field": "label",
                            "message": "must start with a letter and hold up to 64 letters, "
                            "digits, '_', '.' or '-'",
                        }
                    ]
                )
            if label in node.wallets.by_label:
                raise ApiError(409, f"a wallet is already labelled {label!r}", "label_taken")
        try:
            key, _ = await node.create_wallet(label)
        except LabelTaken as exc:  # taken between the check above and now
            raise ApiError(409, f"a wallet is already labelled {label!r}", "label_taken") from exc
        return JSON(view(key.address), status_code=201)

    @router.get("/{ref}/balance", response_class=JSON, dependencies=reader)
    async def balance(ref: str) -> JSON:
        address = address_ref(ref, node.wallets.resolve)
        out: dict[str, Any] = {"address": address}
        label = node.wallets.labels.get(address)
        if label:
            out["label"] = label
        out["balance"] = units_to_coins(node.ledger.balance(address))
        out["nonce"] = node.ledger.nonce(address)
        out["pendingNonce"] = node.mempool.pending_nonce(address)
        return JSON(out)

    @router.get("/{ref}/transactions", response_class=JSON, dependencies=reader)
    async def history(ref: str, limit: Limit = 10, offset: Offset = 0) -> JSON:
        address = address_ref(ref, node.wallets.resolve)
        assert node.store is not None
        rows = await node.read(node.store.address_transactions, address, limit, offset)
        return JSON([ctx.label_tx(tx) for tx in rows])

    return router

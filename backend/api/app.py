"""Builds the ASGI application around a started node."""

from __future__ import annotations

from fastapi import FastAPI

from backend import __version__
from backend.api.context import ApiContext
from backend.api.errors import install_error_handlers
from backend.api.middleware import NodeMiddleware
from backend.api.openapi import install_openapi
from backend.api.routes.chain import chain_routes
from backend.api.routes.system import system_routes
from backend.api.routes.transactions import transaction_routes
from backend.api.routes.wallets import wallet_routes


def create_api(ctx: ApiContext) -> FastAPI:
    """The FastAPI application: every route, its validation, errors and OpenAPI schema."""
    api = FastAPI(
        title="ChainDeck node API",
        version=__version__,
        description="The contract is shared/spec/node-api.md; this schema is generated from code.",
        docs_url="/docs",
        redoc_url=None,
    )
    install_error_handlers(api)
    install_openapi(api, ctx.auth.private)
    for router in (
        system_routes(ctx),
        chain_routes(ctx),
        transaction_routes(ctx),
        wallet_routes(ctx),
    ):
        api.include_router(router)
    return api


def create_app(ctx: ApiContext) -> NodeMiddleware:
    """What uvicorn serves, for every request the fast lane (fast_lane.py) does not answer: the
    node middleware outside FastAPI."""
    ctx.node.block_listeners.append(lambda summary, _block: ctx.hub.publish_block(summary))
    ctx.node.tx_listeners.append(ctx.on_transactions)
    return NodeMiddleware(create_api(ctx), metrics=ctx.metrics)

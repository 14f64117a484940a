"""Health, metrics, login and the WebSocket."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, WebSocket
from starlette.responses import PlainTextResponse, Response

from backend.api.context import ApiContext
from backend.api.errors import ApiError, validation_error
from backend.api.requests import read_json, read_object
from backend.api.responses import JSON
from backend.node.peers import FOLLOWER_HEADER

LOGIN_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["username", "password"],
                "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
            }
        }
    },
}


def system_routes(ctx: ApiContext) -> APIRouter:
    router = APIRouter()
    auth = ctx.auth

    @router.get("/health", dependencies=[Depends(auth.reader)], response_class=JSON)
    async def health(request: Request) -> JSON:
        status, body, headers = ctx.health(
            request.headers.get(FOLLOWER_HEADER), request.headers.get("authorization")
        )
        return JSON(body, status_code=status, headers={k.decode(): v.decode() for k, v in headers})

    @router.get("/metrics", dependencies=[Depends(auth.reader)], response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(ctx.metrics.render(), media_type="text/plain; version=0.0.4")

    @router.post(
        "/api/v1/auth/login",
        response_class=JSON,
        openapi_extra={"requestBody": LOGIN_BODY},
        responses={401: {"description": "bad credentials"}, 429: {"description": "too many"}},
    )
    async def login(request: Request) -> JSON:
        body = read_object(await read_json(request))
        errors = [
            {"field": name, "message": "must be a string"}
            for name in ("username", "password")
            if not isinstance(body.get(name), str)
        ]
        if errors:
            raise validation_error(errors)
        client = request.client.host if request.client else "unknown"
        token, expires_in = await auth.login(client, body["username"], body["password"])
        return JSON({"token": token, "expiresIn": expires_in})

    @router.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        if auth.private:
            try:
                auth.check_header(websocket.headers.get("authorization"))
            except ApiError:
                await websocket.close(code=1008, reason="operator token needed")
                return
        ctx.metrics.ws_clients.inc()
        try:
            await ctx.hub.serve(websocket)
        finally:
            ctx.metrics.ws_clients.dec()

    return router

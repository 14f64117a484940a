"""Pure ASGI middleware (cheaper than BaseHTTPMiddleware on every request): the body limit and
request timing for /metrics. The hot requests do not come through here: the node's HTTP protocol
answers them (fast_lane.py, http_protocol.py)."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.errors import ApiError, error_body
from backend.api.metrics import NodeMetrics

MAX_BODY = 1024 * 1024
TOO_LARGE = error_body(413, "payload_too_large", f"the body is over {MAX_BODY} bytes")
NOT_JSON = error_body(
    415, "unsupported_media_type", "a request body must be sent as Content-Type: application/json"
)
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json(content_type: bytes | str | None) -> bool:
    """Whether a Content-Type is JSON's. A web page can POST text/plain to any address without
    asking first; application/json needs a CORS preflight, which the node never grants."""
    if content_type is None:
        return False
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def has_body(length: str | bytes | None, chunked: bool) -> bool:
    return chunked or (length is not None and length.strip() not in ("0", b"0"))


class _TooLarge(ApiError):
    """The request body went past MAX_BODY while it was being read. An ApiError, so a route
    reading the body answers 413 through the API's error handler."""

    def __init__(self) -> None:
        super().__init__(413, f"the body is over {MAX_BODY} bytes", headers={"Connection": "close"})


async def _reply(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class NodeMiddleware:
    def __init__(self, app: ASGIApp, metrics: NodeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        length = _header(scope, b"content-length")
        if (
            scope["method"] in _WITH_BODY
            and has_body(length, _header(scope, b"transfer-encoding") is not None)
            and not is_json(_header(scope, b"content-type"))
        ):
            await _reply(send, 415, NOT_JSON)
            self.metrics.observe_request(scope["method"], "unmatched", 415, started)
            return
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            await _reply(send, 413, TOO_LARGE, [(b"connection", b"close")])
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY:
                    raise _TooLarge
            return message

        status = 500
        response_started = False

        async def timed_send(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, timed_send)
        except _TooLarge:
            if not response_started:
                status = 413
                await _reply(send, 413, TOO_LARGE, [(b"connection", b"close")])
        route: Any = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        self.metrics.observe_request(scope["method"], path, status, started)

"""Pure ASGI middleware (cheaper than BaseHTTPMiddleware on every request): the body limit,
request timing for /metrics, and the fast lane for the hot requests (fast_lane.py)."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.auth import Auth
from backend.api.errors import ApiError, error_body
from backend.api.fast_lane import ROUTES, Handler
from backend.api.metrics import NodeMetrics

log = logging.getLogger("chaindeck.api")

MAX_BODY = 1024 * 1024
TOO_LARGE = error_body(413, "payload_too_large", f"the body is over {MAX_BODY} bytes")


class _TooLarge(Exception):
    """The request body went past MAX_BODY while it was being read."""


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
    def __init__(
        self,
        app: ASGIApp,
        metrics: NodeMetrics,
        auth: Auth,
        lane: dict[tuple[str, str], Handler],
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.auth = auth
        self.lane = lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        length = _header(scope, b"content-length")
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

        key = (scope["method"], scope["path"])
        handler = self.lane.get(key)
        if handler is not None and await self._fast(handler, scope, limited_receive, send, started):
            return

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

    async def _fast(
        self, handler: Handler, scope: Scope, receive: Receive, send: Send, started: float
    ) -> bool:
        async def read_body() -> bytes:
            chunks = []
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    raise ConnectionError("client went away")
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    return b"".join(chunks)

        extra: list[tuple[bytes, bytes]] = []
        try:
            if self.auth.private:
                self.auth.check_header(_header(scope, b"authorization"))
            answer = await handler(scope, read_body)
            if answer is None:
                return False
            status, body, extra = answer
        except ApiError as exc:
            status, body = exc.status, error_body(exc.status, exc.code, exc.message, exc.errors)
            extra = [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
        except _TooLarge:
            status, body = 413, TOO_LARGE
            extra = [(b"connection", b"close")]
        except ConnectionError:
            return True
        except Exception:  # the contract allows no 500: a bug, logged with its traceback
            log.exception("unexpected error")
            status = 503
            body = error_body(503, "internal_error", "the node hit an unexpected error")
        await _reply(send, status, body, extra)
        self.metrics.observe_request(
            scope["method"], ROUTES[scope["method"], scope["path"]], status, started
        )
        return True

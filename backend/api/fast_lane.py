"""The fast lane: the hot requests (submissions, status, the newest blocks, health) answered
straight from the node's HTTP protocol (http_protocol.py), without an ASGI request cycle, a
middleware stack or FastAPI's routing and validation.

Every handler here calls the same function as its FastAPI route. A route takes only the requests
it fully understands, which it decides from the request line alone; everything else (odd query
strings, chunked bodies, HTTP/1.0, ...) goes to FastAPI, which validates and documents all of it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import orjson

from backend.api.context import ApiContext
from backend.api.errors import ApiError, error_body
from backend.api.routes.chain import blocks_page
from backend.api.routes.transactions import submit_batch, submit_raw
from backend.node.peers import FOLLOWER_HEADER

log = logging.getLogger("chaindeck.api")
_FOLLOWER = FOLLOWER_HEADER.encode()
_AUTHORIZATION = b"authorization"

Headers = list[tuple[bytes, bytes]]
# The request's headers, query string and body -> status, body, extra headers.
Handler = Callable[[Headers, bytes, bytes], Awaitable[tuple[int, bytes, Headers]]]


@dataclass(frozen=True, slots=True)
class Route:
    template: str  # as FastAPI names the route, for /metrics
    handler: Handler
    takes: Callable[[bytes], bool]  # given the query string: can the lane answer it?


def _blocks_query(query: bytes) -> tuple[int, int] | None:
    """(limit, offset) when the query is plain; None leaves the request to FastAPI's errors."""
    limit, offset = 10, 0
    for key, value in parse_qsl(query.decode("latin-1")):
        if not value.isascii() or not value.isdigit() or len(value) > 9:
            return None
        if key == "limit":
            limit = int(value)
        elif key == "offset":
            offset = int(value)
        else:
            return None
    return (limit, offset) if 1 <= limit <= 100 else None


def _header(headers: Headers, name: bytes) -> bytes | None:
    return next((value for key, value in headers if key == name), None)


class FastLane:
    def __init__(self, ctx: ApiContext) -> None:
        self._ctx = ctx
        node = ctx.node

        async def raw(headers: Headers, query: bytes, body: bytes) -> tuple[int, bytes, Headers]:
            return 201, orjson.dumps(await submit_raw(ctx, body)), []

        async def batch(headers: Headers, query: bytes, body: bytes) -> tuple[int, bytes, Headers]:
            return 200, orjson.dumps(await submit_batch(ctx, body)), []

        async def status(headers: Headers, query: bytes, body: bytes) -> tuple[int, bytes, Headers]:
            return 200, orjson.dumps(node.status()), []

        async def health(headers: Headers, query: bytes, body: bytes) -> tuple[int, bytes, Headers]:
            follower = _header(headers, _FOLLOWER)
            auth = _header(headers, _AUTHORIZATION) if follower else None
            code, answer, extra = ctx.health(
                follower.decode("latin-1") if follower else None,
                auth.decode("latin-1") if auth else None,
            )
            return code, orjson.dumps(answer), extra

        async def blocks(headers: Headers, query: bytes, body: bytes) -> tuple[int, bytes, Headers]:
            parsed = _blocks_query(query)
            assert parsed is not None  # Route.takes saw to it
            return 200, orjson.dumps(await blocks_page(ctx, *parsed)), []

        def always(query: bytes) -> bool:
            return True

        self.routes: dict[tuple[bytes, bytes], Route] = {
            (b"POST", b"/api/v1/transactions/raw"): Route("/api/v1/transactions/raw", raw, always),
            (b"POST", b"/api/v1/transactions/batch"): Route(
                "/api/v1/transactions/batch", batch, always
            ),
            (b"GET", b"/api/v1/network/status"): Route("/api/v1/network/status", status, always),
            (b"GET", b"/api/v1/blocks"): Route(
                "/api/v1/blocks", blocks, lambda query: _blocks_query(query) is not None
            ),
            (b"GET", b"/health"): Route("/health", health, always),
        }

    def find(self, method: bytes, path: bytes, query: bytes) -> Route | None:
        route = self.routes.get((method, path))
        return route if route is not None and route.takes(query) else None

    async def answer(
        self, route: Route, headers: Headers, query: bytes, body: bytes
    ) -> tuple[int, bytes, Headers]:
        """The answer to a request `route` took, errors included: the contract allows no 500."""
        try:
            if self._ctx.auth.private:
                auth = _header(headers, _AUTHORIZATION)
                self._ctx.auth.check_header(auth.decode("latin-1") if auth else None)
            return await route.handler(headers, query, body)
        except ApiError as exc:
            extra = [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
            return exc.status, error_body(exc.status, exc.code, exc.message, exc.errors), extra
        except Exception:  # a bug: logged with its traceback, answered like FastAPI's handler
            log.exception("unexpected error")
            return 503, error_body(503, "internal_error", "the node hit an unexpected error"), []

    def observe(self, method: str, route: Route, status: int, started: float) -> None:
        self._ctx.metrics.observe_request(method, route.template, status, started)

"""The node's HTTP protocol: uvicorn's httptools protocol, with two savings on the hot path.

1. The fast lane (fast_lane.py) answers the hot requests from here, without an ASGI request
   cycle: no scope, no per-request asyncio.Event, no ASGI messages, no middleware. Against the
   lane in the ASGI middleware (ab_node_throughput.py, medians of 3): one by one x1.17, 32 in
   flight x1.04, batches x0.99; 15,000 submissions 32 in flight on fresh nodes, four
   alternating pairs: x1.04, x1.09, x1.11, x1.17.
2. Every other answer's head goes out with its first body chunk, in one write. uvicorn writes
   the head on `http.response.start` and the body on `http.response.body`: two socket writes,
   two TCP segments and two wake-ups of the client per answer (~13% of the loop's samples under
   32 submissions in flight, when every answer went that way).

uvicorn keeps the request in progress in `self.cycle`; a lane request puts a LaneCycle there, so
uvicorn's own handling of pipelining, disconnects, keep-alive and shutdown works unchanged.
"""

from __future__ import annotations

import asyncio
import time
from http import HTTPStatus
from typing import Any, Protocol

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from backend.api.errors import error_body
from backend.api.guard import HEAD_DEADLINE_S, MAX_HEAD, Guard, Refusal
from backend.api.middleware import MAX_BODY, is_json

Headers = list[tuple[bytes, bytes]]
_STATUS = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in HTTPStatus}
_CLOSE = (b"connection", b"close")
TOO_LARGE_HEAD = Refusal(
    431, "header_too_large", f"the request line and headers are over {MAX_HEAD} bytes"
)


class Lane(Protocol):
    """What the protocol needs of backend.api.fast_lane.FastLane."""

    def find(self, method: bytes, path: bytes, query: bytes) -> Any | None: ...

    async def answer(
        self, route: Any, headers: Headers, query: bytes, body: bytes
    ) -> tuple[int, bytes, Headers]: ...

    def observe(self, method: str, route: Any, status: int, started: float) -> None: ...


class HeadWithBody:
    """A transport for one ASGI request-response cycle: the first write is held and goes out
    with the second. Only the first: after that, writes pass straight through, so a streamed
    body is never held back. uvicorn follows the head with a body write for every response except
    to HEAD, so HEAD is not wrapped, nor a request expecting `100 Continue`, whose interim answer
    must go out at once; a close flushes whatever is held, for the cycles that end early."""

    __slots__ = ("_held", "_passing", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None
        self._passing = False

    def write(self, data: bytes) -> None:
        if self._passing:
            self._transport.write(data)
        elif self._held is None:
            self._held = data
        else:
            self._passing = True
            held, self._held = self._held, None
            self._transport.writelines((held, data))

    def flush(self) -> None:
        self._passing = True
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        # is_closing, get_extra_info, ...: the real transport's
        return getattr(self._transport, name)


class _NobodyWaits:
    """uvicorn sets the cycle's message event on a disconnect; nothing waits on a lane cycle's."""

    def set(self) -> None:
        pass


class LaneCycle:
    """Stands in `self.cycle` for a request the lane answers: the attributes uvicorn's protocol
    reads and sets there, and the request."""

    __slots__ = (
        "body",
        "disconnected",
        "headers",
        "keep_alive",
        "message_event",
        "method",
        "more_body",
        "query",
        "response_complete",
        "route",
        "started",
    )

    def __init__(
        self, route: Any, method: str, headers: Headers, query: bytes, keep_alive: bool
    ) -> None:
        self.route = route
        self.method = method
        self.headers = headers
        self.query = query
        self.body = bytearray()
        self.started = time.perf_counter()
        self.more_body = True
        self.response_complete = False
        self.disconnected = False
        self.keep_alive = keep_alive
        self.message_event = _NobodyWaits()


class _Refused(Exception):
    """Raised in a parser callback to stop parsing a request the node refuses."""


class NodeHttpProtocol(HttpToolsProtocol):
    lane: Lane | None = None
    guard: Guard | None = None
    head_deadline_s: float = HEAD_DEADLINE_S

    @classmethod
    def serving(cls, lane: Lane, guard: Guard | None = None) -> type[NodeHttpProtocol]:
        """The protocol class to hand uvicorn (it makes one protocol per connection)."""
        return type(cls.__name__, (cls,), {"lane": lane, "guard": guard})

    # --- the request head: bounded in size and in time (node-api.md, "Limits and safety") ----
    # uvicorn's httptools protocol has neither bound: httptools keeps a header that has not
    # ended yet whole, so 1 GiB of header took 1 GB of memory, and a head never finished held
    # its socket for ever (1,100 of them at a 1024 open-file limit made /health fail).

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._refusal: Refusal | None = None
        self._head_open = True  # reading a head: from the connection's start, or a request's
        self._head_begun = False  # a request's first byte has come
        self._head_bytes = 0  # bytes received while a head was open (an upper bound)
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_deadline_s, self._head_overdue)

    def _disarm_head_deadline(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if not self._head_open or self.transport.is_closing():
            return
        if self._head_begun:
            self._refuse(Refusal(408, "request_timeout", "the request head took too long"))
        else:
            self.transport.close()

    def _refuse(self, refusal: Refusal) -> None:
        """Answer `refusal` and close the connection; nothing more of it is read."""
        body = error_body(refusal.status, refusal.code, refusal.message)
        head = [_STATUS.get(refusal.status) or f"HTTP/1.1 {refusal.status} \r\n".encode()]
        for name, value in self.server_state.default_headers:
            head += (name, b": ", value, b"\r\n")
        head += (b"content-type: application/json\r\nconnection: close\r\n",)
        head += (b"content-length: %d\r\n\r\n" % len(body), body)
        self.transport.write(b"".join(head))
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, with the head's bounds and the guard's refusals.
        self._unset_keepalive_if_required()
        if self._head_open:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(self._refusal)
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        if self._head_open and self._head_bytes > MAX_HEAD:
            self._refuse(TOO_LARGE_HEAD)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_open = self._head_begun = True
        self._arm_head_deadline()

    def on_headers_complete(self) -> None:
        self._head_open = self._head_begun = False
        self._head_bytes = 0
        self._disarm_head_deadline()
        size = len(self.url) + sum(len(k) + len(v) + 4 for k, v in self.headers)
        refusal = TOO_LARGE_HEAD if size > MAX_HEAD else None
        if refusal is None and self.guard is not None:
            refusal = self.guard.check(self.headers, self.parser.should_upgrade())
        if refusal is not None:
            self._refusal = refusal
            raise _Refused  # httptools stops; data_received answers it
        cycle = self._lane_cycle()
        if cycle is not None:
            self.cycle = cycle  # type: ignore[assignment]
            return
        previous = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        # No new cycle: a WebSocket upgrade, which writes through its own protocol.
        if cycle is None or cycle is previous:
            return
        if cycle.scope["method"] != "HEAD" and not self.expect_100_continue:
            cycle.transport = HeadWithBody(self.transport)  # type: ignore[assignment]

    def _lane_cycle(self) -> LaneCycle | None:
        """A LaneCycle when the lane takes this request; None sends it the ASGI way."""
        if self.lane is None:
            return None
        current = self.cycle
        if current is not None and not current.response_complete:
            return None  # pipelined behind an answer still under way: uvicorn queues it
        parser = self.parser
        if (
            self.expect_100_continue
            or parser.should_upgrade()
            or parser.get_http_version() != "1.1"
        ):
            return None
        method = parser.get_method()
        path, _, query = self.url.partition(b"?")
        route = self.lane.find(method, path, query)
        if route is None:
            return None
        if method == b"POST":
            # A chunked body, one over the limit or one not JSON goes the ASGI way: the
            # middleware answers 413 or 415.
            length = content_type = None
            for name, value in self.headers:
                if name == b"content-length":
                    length = value
                elif name == b"content-type":
                    content_type = value
            if length is None or not length.isdigit() or int(length) > MAX_BODY:
                return None
            if not is_json(content_type) and int(length):
                return None  # the middleware answers 415
        return LaneCycle(route, method.decode(), self.headers, query, parser.should_keep_alive())

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if type(cycle) is LaneCycle:
            cycle.body += body  # at most MAX_BODY: content-length is checked and enforced
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        cycle = self.cycle
        if type(cycle) is LaneCycle:
            cycle.more_body = False
            task = self.loop.create_task(self._answer(cycle))
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)  # a graceful shutdown waits for it
        else:
            super().on_message_complete()

    async def _answer(self, cycle: LaneCycle) -> None:
        assert self.lane is not None
        status, body, extra = await self.lane.answer(
            cycle.route, cycle.headers, cycle.query, bytes(cycle.body)
        )
        if self.flow.write_paused and not cycle.disconnected:
            await self.flow.drain()  # the client reads slowly: do not pile answers up
        if cycle.disconnected or self.transport.is_closing():
            return  # the work is done; there is nobody left to tell
        keep_alive = cycle.keep_alive and _CLOSE not in extra  # shutdown clears keep_alive
        head = [_STATUS.get(status) or f"HTTP/1.1 {status} \r\n".encode()]
        for name, value in (*self.server_state.default_headers, *extra):
            head += (name, b": ", value, b"\r\n")
        if not keep_alive and _CLOSE not in extra:
            head.append(b"connection: close\r\n")
        head += (b"content-type: application/json\r\ncontent-length: ", b"%d" % len(body))
        head += (b"\r\n\r\n", body)
        self.transport.write(b"".join(head))
        cycle.response_complete = True
        self.lane.observe(cycle.method, cycle.route, status, cycle.started)
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()

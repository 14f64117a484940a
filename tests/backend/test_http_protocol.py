"""The node's HTTP protocol sends an answer's head and body in one write, and changes nothing else.

The transport here records writes instead of sending them: the number of socket writes is what is
under test, and a real socket would merge or split segments as it likes. The API tests run every
request of the contract through this protocol on real nodes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from backend.api.http_protocol import NodeHttpProtocol


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.reading = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        self.write(b"".join(chunks))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8545), "peername": ("127.0.0.1", 40000)}.get(
            name, default
        )


async def _json(scope: dict, receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    answer = b'{"got":%d}' % len(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


async def _streamed(scope: dict, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for part in (b"one", b"two", b"three"):
        await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _connect(app: Any, lane: Any = None) -> tuple[NodeHttpProtocol, RecordingTransport]:
    cls = NodeHttpProtocol.serving(lane) if lane is not None else NodeHttpProtocol
    config = Config(app, http=cls, lifespan="off", log_config=None)
    config.load()
    protocol = cls(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    return protocol, transport


async def _settle(protocol: NodeHttpProtocol) -> None:
    while protocol.tasks:
        await asyncio.gather(*protocol.tasks)


async def test_head_and_body_go_out_in_one_write_for_each_answer() -> None:
    protocol, transport = await _connect(_json)
    request = b"POST /api/v1/transactions/raw HTTP/1.1\r\nhost: n\r\ncontent-length: 5\r\n\r\nhello"
    protocol.data_received(request)
    await _settle(protocol)
    protocol.data_received(request)  # the same connection, kept alive
    await _settle(protocol)

    assert len(transport.writes) == 2
    for write in transport.writes:
        assert write.startswith(b"HTTP/1.1 201 Created\r\n")
        assert write.endswith(b'\r\n\r\n{"got":5}')
    assert not transport.closed


async def test_a_streamed_body_is_not_held_back() -> None:
    protocol, transport = await _connect(_streamed)
    protocol.data_received(b"GET /stream HTTP/1.1\r\nhost: n\r\n\r\n")
    await _settle(protocol)

    head_and_first, *rest = transport.writes
    assert head_and_first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert head_and_first.endswith(b"\r\n\r\n3\r\none\r\n")
    assert rest == [b"3\r\ntwo\r\n", b"5\r\nthree\r\n", b"0\r\n\r\n"]


async def test_continue_goes_out_before_the_body_arrives() -> None:
    protocol, transport = await _connect(_json)
    protocol.data_received(
        b"POST /x HTTP/1.1\r\nhost: n\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n"
    )
    for _ in range(5):
        await asyncio.sleep(0)
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]  # the client waits for this

    protocol.data_received(b"hi")
    await _settle(protocol)
    assert b"".join(transport.writes[1:]).endswith(b'{"got":2}')


async def test_an_answer_to_head_is_sent_without_a_body() -> None:
    protocol, transport = await _connect(_json)
    protocol.data_received(b"HEAD /x HTTP/1.1\r\nhost: n\r\n\r\n")
    await _settle(protocol)

    (head,) = transport.writes
    assert head.startswith(b"HTTP/1.1 201 Created\r\n") and head.endswith(b"\r\n\r\n")


# --- the fast lane ---------------------------------------------------------------------------


class EchoLane:
    """Answers POST /lane with what it was given; a gate lets a test hold an answer back."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.observed: list[int] = []

    def find(self, method: bytes, path: bytes, query: bytes) -> str | None:
        return "/lane" if (method, path) == (b"POST", b"/lane") else None

    async def answer(
        self, route: str, headers: list[tuple[bytes, bytes]], query: bytes, body: bytes
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        await self.gate.wait()
        return 201, b'{"lane":"%s","q":"%s"}' % (body, query), [(b"x-lane", b"1")]

    def observe(self, method: str, route: str, status: int, started: float) -> None:
        self.observed.append(status)


async def _connect_lane(app: Any) -> tuple[NodeHttpProtocol, RecordingTransport, EchoLane]:
    lane = EchoLane()
    protocol, transport = await _connect(app, lane)
    return protocol, transport, lane


def _post(path: bytes, body: bytes, version: bytes = b"1.1") -> bytes:
    return (
        b"POST %s HTTP/%s\r\nhost: n\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s"
    ) % (
        path,
        version,
        len(body),
        body,
    )


async def test_the_lane_answers_its_routes_in_one_write_and_counts_them() -> None:
    protocol, transport, lane = await _connect_lane(_json)
    protocol.data_received(_post(b"/lane?x=1", b"abc"))
    await _settle(protocol)

    (answer,) = transport.writes
    assert answer.startswith(b"HTTP/1.1 201 Created\r\n")
    assert b"x-lane: 1\r\n" in answer and b"content-length: 24\r\n" in answer
    assert answer.endswith(b'\r\n\r\n{"lane":"abc","q":"x=1"}')
    assert lane.observed == [201]
    assert not transport.closed and protocol.timeout_keep_alive_task is not None


async def test_other_routes_and_requests_the_lane_cannot_take_go_to_the_app() -> None:
    protocol, transport, lane = await _connect_lane(_json)
    protocol.data_received(_post(b"/other", b"abcd"))
    await _settle(protocol)
    chunked = (
        b"POST /lane HTTP/1.1\r\nhost: n\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
    )
    protocol.data_received(chunked)
    await _settle(protocol)

    assert [w[-9:] for w in transport.writes] == [b'{"got":4}', b'{"got":2}']  # the app's
    assert lane.observed == []


async def test_http_1_0_goes_to_the_app_and_the_connection_closes() -> None:
    protocol, transport, lane = await _connect_lane(_json)
    protocol.data_received(_post(b"/lane", b"abc", version=b"1.0"))
    await _settle(protocol)

    assert b"".join(transport.writes).endswith(b'{"got":3}')
    assert transport.closed and lane.observed == []


async def test_pipelined_requests_are_answered_in_order() -> None:
    protocol, transport, lane = await _connect_lane(_json)
    lane.gate.clear()
    protocol.data_received(
        _post(b"/lane", b"one") + _post(b"/other", b"22") + _post(b"/lane", b"3")
    )
    for _ in range(5):
        await asyncio.sleep(0)
    assert transport.writes == []  # the first answer is held back, and so are the ones behind it
    lane.gate.set()
    while len(transport.writes) < 3:
        await _settle(protocol)
        await asyncio.sleep(0)

    assert transport.writes[0].endswith(b'{"lane":"one","q":""}')
    assert transport.writes[1].endswith(b'{"got":2}')
    # Queued by uvicorn behind an answer under way, the third goes the ASGI way; in the node
    # FastAPI answers it with the same function as the lane.
    assert transport.writes[2].endswith(b'{"got":1}')


async def test_a_shutdown_during_an_answer_closes_the_connection_after_it() -> None:
    protocol, transport, lane = await _connect_lane(_json)
    lane.gate.clear()
    protocol.data_received(_post(b"/lane", b"abc"))
    await asyncio.sleep(0)
    protocol.shutdown()
    assert not transport.closed  # the answer under way is still owed
    lane.gate.set()
    await _settle(protocol)

    (answer,) = transport.writes
    assert b"connection: close\r\n" in answer and answer.endswith(b'"q":""}')
    assert transport.closed


async def test_a_client_gone_mid_answer_gets_nothing_written() -> None:
    protocol, transport, lane = await _connect_lane(_json)
    lane.gate.clear()
    protocol.data_received(_post(b"/lane", b"abc"))
    await asyncio.sleep(0)
    protocol.connection_lost(None)
    lane.gate.set()
    await _settle(protocol)

    assert transport.writes == [] and lane.observed == []

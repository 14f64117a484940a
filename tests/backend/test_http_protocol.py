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


async def _connect(app: Any) -> tuple[NodeHttpProtocol, RecordingTransport]:
    config = Config(app, http=NodeHttpProtocol, lifespan="off", log_config=None)
    config.load()
    protocol = NodeHttpProtocol(config=config, server_state=ServerState(), app_state={})
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

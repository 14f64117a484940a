"""Posting a run's transfers: one keep-alive HTTP/1.1 connection a user, on a gevent socket.

A transfer is the hottest request of a run, and the node answers a group of them at once: what
each answer costs the worker is waited for by the users behind it. geventhttpclient (under
Locust's FastHttpUser) spent ~120 us of the worker's CPU on each, in its connection pool's
liveness check (a select() call a request), header objects and its response parser; this costs a
write and a read. 32 users, 2 cores shared with the node: the worker's CPU 53% -> 40-44% of a
core, transfers included a second 0.69x -> 0.81x the raw client's (median of rounds alternating
with it). Responses are HTTP/1.1 as any server sends them: a Content-Length body, a
chunked one, or one up to the connection's close.
"""

from __future__ import annotations

import contextlib
import socket
from urllib.parse import urlsplit

from gevent import socket as gsocket

CONNECT_S = 10.0
ANSWER_S = 60.0
READ = 65536


class ConnectionLost(OSError):
    """The server closed the connection before its answer was whole."""


class BadAnswer(OSError):
    """The server's answer is not HTTP/1.1 this client reads."""


class Poster:
    """Posts JSON bodies to one server over one connection, opened again when the server has
    closed it. A request on a kept connection that hears nothing back but its close is sent once
    more on a new one (the server timed the idle connection out); should the server have taken
    it after all, a transfer sent twice is refused as a duplicate (409), which counts as sent."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{url}: not an http:// URL")
        self.address = (parts.hostname, parts.port or 80)
        self.headers = (
            f"Host: {parts.netloc}\r\nContent-Type: application/json\r\nContent-Length: "
        ).encode()
        self.sock: gsocket.socket | None = None
        self.buffer = b""  # what came after the last answer
        self.heard = False  # whether any of this request's answer came

    def post(self, path: str, body: bytes) -> tuple[int, bytes, BaseException | None]:
        """Status, body and the failure (status 0 when nothing came back)."""
        request = b"".join(
            (b"POST ", path.encode(), b" HTTP/1.1\r\n", self.headers, b"%d\r\n\r\n" % len(body))
        )
        for attempt in (1, 2):
            reused = self.sock is not None
            self.heard = False
            try:
                if self.sock is None:
                    self.sock = self._connect()
                self._send(request + body)
                status, content = self._answer()
                return status, content, None
            except TimeoutError as exc:
                self.close()
                return 0, b"", exc
            except (OSError, ValueError) as exc:
                self.close()
                if reused and attempt == 1 and not self.heard and isinstance(exc, OSError):
                    continue  # an idle connection the server had closed: it read nothing
                return 0, b"", exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.buffer = b""

    def _connect(self) -> gsocket.socket:
        sock = gsocket.create_connection(self.address, timeout=CONNECT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(ANSWER_S)
        return sock

    def _send(self, data: bytes) -> None:
        # send, not sendall: gevent's sendall asks the kernel for the socket's buffer size
        # (a getsockopt call) on every call, to cut big payloads into chunks.
        assert self.sock is not None
        sent = self.sock.send(data)
        while sent < len(data):
            data = data[sent:]
            sent = self.sock.send(data)

    def _recv(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(READ)
        if not chunk:
            raise ConnectionLost("the server closed the connection")
        self.heard = True
        return chunk

    def _answer(self) -> tuple[int, bytes]:
        data = self.buffer
        end = data.find(b"\r\n\r\n")
        while end < 0:
            data += self._recv()
            end = data.find(b"\r\n\r\n")
        head, data = data[:end].lower(), data[end + 4 :]
        if not head.startswith(b"http/1.") or len(head) < 12:
            raise BadAnswer(f"not an HTTP/1 answer: {head[:40]!r}")
        status = int(head[9:12])
        keep = not (b"\r\nconnection: close" in head or head.startswith(b"http/1.0"))
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            line_end = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : line_end if line_end >= 0 else None])
            while len(data) < length:
                data += self._recv()
            content, self.buffer = data[:length], data[length:]
        elif b"\r\ntransfer-encoding: chunked" in head:
            content = self._chunked(data)
        elif status in (204, 304):
            content, self.buffer = b"", data
        else:  # the body runs to the close
            keep = False
            content = data
            with contextlib.suppress(ConnectionLost):  # the close ends the body
                while True:
                    content += self._recv()
        if not keep:
            self.close()
        return status, content

    def _chunked(self, data: bytes) -> bytes:
        content = b""
        while True:
            line_end = data.find(b"\r\n")
            while line_end < 0:
                data += self._recv()
                line_end = data.find(b"\r\n")
            size = int(data[:line_end].split(b";", 1)[0], 16)
            data = data[line_end + 2 :]
            if size == 0:
                while (trailer_end := data.find(b"\r\n")) != 0:
                    if trailer_end < 0:
                        data += self._recv()
                    else:
                        data = data[trailer_end + 2 :]
                self.buffer = data[2:]
                return content
            while len(data) < size + 2:
                data += self._recv()
            content += data[:size]
            data = data[size + 2 :]

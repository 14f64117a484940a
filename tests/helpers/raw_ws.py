"""A WebSocket client that reads nothing until told to: a small receive buffer set before connect,
the upgrade done by hand, frames parsed by hand. Libraries read ahead for you, which hides lag."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from typing import Any


class NonReadingClient:
    def __init__(self, host: str, port: int, rcvbuf: int = 65536) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect((host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.decode(errors="replace"))

    def _recv(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed by the node")
        return chunk

    def _need(self, n: int) -> None:
        while len(self.buffer) < n:
            self.buffer += self._recv()

    def next_message(self) -> dict[str, Any] | None:
        """The next text message, or None for control frames (ping, pong, close)."""
        self._need(2)
        opcode = self.buffer[0] & 0x0F
        length = self.buffer[1] & 0x7F
        offset = 2
        if length == 126:
            self._need(4)
            length = struct.unpack(">H", self.buffer[2:4])[0]
            offset = 4
        elif length == 127:
            self._need(10)
            length = struct.unpack(">Q", self.buffer[2:10])[0]
            offset = 10
        self._need(offset + length)
        payload = self.buffer[offset : offset + length]
        self.buffer = self.buffer[offset + length :]
        if opcode == 0x8:
            raise ConnectionError(f"closed by the node: {payload!r}")
        return json.loads(payload) if opcode == 0x1 else None

    def close(self) -> None:
        self.sock.close()

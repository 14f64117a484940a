"""A minimal keep-alive HTTP/1.1 client on asyncio streams: tens of microseconds of client CPU per
request, where httpx costs milliseconds, so the benchmark measures the server, not the client."""

from __future__ import annotations

import asyncio
import contextlib
import time


class RawConnection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> RawConnection:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def request(
        self, method: str, path: str, body: bytes = b"", timeout: float = 60.0
    ) -> tuple[int, bytes]:
        assert self._reader is not None and self._writer is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self._writer.write(head + body)
        # asyncio.timeout, not wait_for: wait_for wraps every call in a new task.
        async with asyncio.timeout(timeout):
            return await self._read_response()

    async def _read_response(self) -> tuple[int, bytes]:
        assert self._reader is not None
        header = await self._reader.readuntil(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        body = await self._reader.readexactly(length) if length else b""
        return status, body

    async def timed(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes, float]:
        started = time.perf_counter()
        status, data = await self.request(method, path, body)
        return status, data, time.perf_counter() - started

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()

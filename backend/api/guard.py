"""What the node refuses before it reads a request: the checks of "Limits and safety" in
shared/spec/node-api.md that need only the request head. The node's HTTP protocol
(http_protocol.py) asks them for every request, the fast lane's and WebSocket upgrades included.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# A request head (request line and headers) over this is answered 431 and the connection closed.
MAX_HEAD = 64 * 1024
# A head that is not complete this long after its first byte (or after the connection opened)
# is closed: unfinished heads would otherwise hold sockets for ever.
HEAD_DEADLINE_S = 30.0
DEFAULT_MAX_WS_CLIENTS = 1000


def is_loopback_name(host: str) -> bool:
    host = host.strip().lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_of(value: str) -> str:
    """The host name of a Host header: without its port, IPv6 without brackets."""
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


@dataclass(slots=True)
class Refusal:
    status: int
    code: str
    message: str


@dataclass(slots=True)
class Guard:
    """`loopback_only`: the node listens on a loopback address, so a request naming any other
    host came through a browser tricked by DNS rebinding. `ws_clients` counts the WebSocket
    clients being served."""

    loopback_only: bool
    allowed_origins: frozenset[str] = frozenset()
    max_ws_clients: int = DEFAULT_MAX_WS_CLIENTS
    ws_clients: Callable[[], int] = field(default=lambda: 0)

    @classmethod
    def for_host(cls, host: str, allowed_origins: tuple[str, ...], max_ws: int) -> Guard:
        return cls(
            loopback_only=is_loopback_name(host),
            allowed_origins=frozenset(o.rstrip("/").lower() for o in allowed_origins),
            max_ws_clients=max_ws,
        )

    def check(self, headers: list[tuple[bytes, bytes]], upgrade: bool) -> Refusal | None:
        """None when the request may go on; else what to answer."""
        host = origin = None
        for name, value in headers:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
        if self.loopback_only and host is not None and not is_loopback_name(_host_of(host)):
            return Refusal(
                403,
                "forbidden_host",
                f"this node answers only to a loopback host name, not {host[:100]!r}",
            )
        if upgrade:
            if origin is not None and not self.origin_allowed(origin):
                return Refusal(
                    403,
                    "forbidden_origin",
                    f"WebSocket connections from {origin[:100]!r} are refused (start the node "
                    "with --allow-origin to allow a web page)",
                )
            if self.ws_clients() >= self.max_ws_clients:
                return Refusal(
                    503, "too_many_clients", f"{self.max_ws_clients} WebSocket clients already"
                )
        return None

    def origin_allowed(self, origin: str) -> bool:
        origin = origin.strip().rstrip("/").lower()
        if "*" in self.allowed_origins or origin in self.allowed_origins:
            return True
        try:
            host = urlsplit(origin).hostname
        except ValueError:
            return False
        return host is not None and is_loopback_name(host)

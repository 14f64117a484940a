"""One name for "a client of either kind", and the client for a URL of a known kind."""

from __future__ import annotations

from app.clients.ethereum import EthereumClient
from app.clients.native import NativeClient

NodeClient = NativeClient | EthereumClient


def client_for(
    url: str, kind: str, username: str | None = None, password: str | None = None
) -> NodeClient:
    if kind == "ethereum":
        return EthereumClient(url)
    return NativeClient(url, username, password)

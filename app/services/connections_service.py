"""Saved connections to remote nodes: profiles in the app's database, passwords in the keyring."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from PySide6.QtCore import QObject, Signal

from app import credentials
from app.clients.errors import NodeError
from app.clients.kinds import NodeClient, client_for
from app.clients.probe import probe
from app.services.lifecycle import Lifecycle
from app.storage.app_db import AppDb

NAME_RE = re.compile(r"^[\w .-]{1,40}$")
DEVNET = "Embedded devnet"


class ProfileError(Exception):
    """A connection profile the user must correct; the message names the field."""


def check_profile(name: str, url: str) -> str:
    """The normalised URL, or ProfileError saying what is wrong."""
    if not NAME_RE.match(name) or name == DEVNET:
        raise ProfileError("name: 1 to 40 letters, digits, spaces, dots or dashes")
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ProfileError("URL: http(s)://host:port of a ChainDeck node")
    try:
        _ = parsed.port
    except ValueError as exc:
        raise ProfileError("URL: the port must be a number from 1 to 65535") from exc
    return url.strip().rstrip("/")


class ConnectionsService(QObject, Lifecycle):
    profilesChanged = Signal(object)

    def __init__(self, db: AppDb, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.profiles: list[dict[str, Any]] = db.profiles_sync()

    def profile(self, name: str) -> dict[str, Any] | None:
        return next((p for p in self.profiles if p["name"] == name), None)

    async def client_for(self, name: str) -> NodeClient:
        """A client of the profile's kind; a profile saved while its node was down learns its
        kind now (NodeError if it still does not answer)."""
        profile = self.profile(name)
        if profile is None:
            raise ProfileError(f"no saved connection named “{name}”")
        kind = profile.get("kind") or ""
        if kind not in ("native", "ethereum"):
            kind = (await probe(profile["url"])).kind
            await self.db.save_profile({**profile, "kind": kind})
            await self._reload()
        password = credentials.profile_password(profile)
        return client_for(profile["url"], kind, profile.get("username") or None, password)

    async def save(self, name: str, url: str, username: str, password: str) -> None:
        """Save a profile; its kind (ChainDeck or Ethereum) is probed now if the node answers."""
        url = check_profile(name, url)
        try:
            kind = (await probe(url)).kind
        except NodeError:
            kind = ""  # down now: probed again on first use
        if password:
            credentials.store_password(name, password)
        await self.db.save_profile(
            {"name": name, "url": url, "username": username.strip(), "kind": kind}
        )
        await self._reload()

    async def delete(self, name: str) -> None:
        await self.db.delete_profile(name)
        credentials.forget_password(name)
        await self._reload()

    async def _reload(self) -> None:
        self.profiles = await self.db.profiles()
        self.profilesChanged.emit(self.profiles)

    @staticmethod
    async def test(url: str, username: str, password: str) -> str:
        """Reach the node and, with credentials, log in. Raises NodeError; returns a summary."""
        url = url.strip().rstrip("/")
        info = await probe(url)
        client = client_for(url, info.kind, username.strip() or None, password or None)
        try:
            status = await client.status()
            if username.strip() and info.kind == "native":
                await client.check_login()
        finally:
            await client.close()
        login = ", operator login ok" if username.strip() and info.kind == "native" else ""
        return (
            f"{info.version}: {status.get('role', 'node')} of chain {status.get('chainId')} at "
            f"height {status.get('blockHeight')}{login} ({client.last_latency_ms:.0f} ms)"
        )

"""Operator passwords live in the OS keyring, never in the app's files."""

from __future__ import annotations

import contextlib
from typing import Any

import keyring
import keyring.errors

SERVICE = "chaindeck"


class CredentialError(Exception):
    """The OS keyring refused; the message says what to install or unlock."""


def _key(profile: str) -> str:
    return f"profile:{profile}"


def store_password(profile: str, password: str) -> None:
    try:
        keyring.set_password(SERVICE, _key(profile), password)
    except keyring.errors.KeyringError as exc:
        raise CredentialError(
            f"the OS keyring refused the password ({exc}); install or unlock a keyring "
            "(GNOME Keyring, KWallet, macOS Keychain, Windows Credential Manager)"
        ) from exc


def load_password(profile: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, _key(profile))
    except keyring.errors.KeyringError:
        return None


def profile_password(profile: dict[str, Any]) -> str | None:
    """A saved connection's operator password: only profiles with a username keep one."""
    return load_password(profile["name"]) if profile.get("username") else None


def forget_password(profile: str) -> None:
    with contextlib.suppress(keyring.errors.KeyringError):
        keyring.delete_password(SERVICE, _key(profile))

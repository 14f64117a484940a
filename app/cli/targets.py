"""A command's TARGET: a URL, or the name of a saved connection profile (shared/spec/cli.md)."""

from __future__ import annotations

import os
from pathlib import Path

from app.jobs.test_run import RunTarget


class TargetError(ValueError):
    """A TARGET that is neither a URL nor a saved profile; the message is for the user."""


def resolve_target(text: str, kind: str | None, data_dir: Path | None = None) -> RunTarget:
    """Credentials: the profile's (password from the keyring), else `CHAINDECK_TARGET_USER` and
    `CHAINDECK_TARGET_PASSWORD`, else `CHAINDECK_OPERATOR=user:password`."""
    user = os.environ.get("CHAINDECK_TARGET_USER")
    password = os.environ.get("CHAINDECK_TARGET_PASSWORD")
    if user is None and ":" in os.environ.get("CHAINDECK_OPERATOR", ""):
        user, password = os.environ["CHAINDECK_OPERATOR"].split(":", 1)
    if text.startswith(("http://", "https://")):
        return RunTarget(text.rstrip("/"), kind, "", user, password)
    profile = _profile(text, data_dir)
    if profile is None:
        raise TargetError(f"{text!r} is neither a node URL (http://host:port) nor a saved profile")
    from app.credentials import profile_password

    return RunTarget(
        profile["url"],
        kind or (profile.get("kind") or None),
        text,
        profile.get("username") or user,
        profile_password(profile) if profile.get("username") else password,
    )


def _profile(name: str, data_dir: Path | None) -> dict | None:
    from app.paths import AppPaths
    from app.storage.app_db import AppDb

    paths = AppPaths.at(data_dir)
    if not paths.database.exists():
        return None
    db = AppDb(paths.database)
    try:
        return next((p for p in db.profiles_sync() if p["name"] == name), None)
    finally:
        db.close()

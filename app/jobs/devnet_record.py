"""The embedded devnet as other programs find it: its URL and pid in the app's data dir
(`devnet.json`), its operator in a 0600 file in its data dir (the name the node itself uses,
backend/api/auth.py), and a port of its own: 8645 unless set, the next free one when that is
taken, and the one it had last time while that stays free, so scripts keep working across
restarts. `chaindeck … devnet` reads these (app/cli/targets.py)."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from app.clusters.background import lock_holder
from app.operator_file import operator_credentials
from app.paths import AppPaths
from app.ports import port_free

DEFAULT_PORT = 8645
PASSWORD_FILE = "operator-password"  # backend/api/auth.py: the node reads the same file
NEXT_PORTS = 20  # how far past a taken port to look for a free one


def record_path(paths: AppPaths) -> Path:
    return paths.root / "devnet.json"


def credentials(paths: AppPaths) -> tuple[str, str]:
    return operator_credentials(paths.devnet / PASSWORD_FILE)


def read(paths: AppPaths) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(record_path(paths).read_text())
        if isinstance(data, dict):
            return data
    return {}


def write(paths: AppPaths, **fields: Any) -> None:
    data = {**read(paths), **fields}
    tmp = record_path(paths).with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, record_path(paths))


def choose_port(preferred: int, kept: int | None) -> int:
    """The port it had last time if still free, else the preferred one, else the next free
    one after it; 0 (any) when none of those is free."""
    candidates = [kept] if kept else []
    candidates += range(preferred, preferred + NEXT_PORTS)
    for port in candidates:
        if port and 0 < port < 65536 and port_free(port):
            return port
    return 0


def running(paths: AppPaths) -> dict[str, Any] | None:
    """The record of the devnet running now ({url, pid, ...}), or None."""
    data = read(paths)
    pid = data.get("pid")
    if not pid or not data.get("url"):
        return None
    if data.get("ephemeral"):
        try:
            os.kill(int(pid), 0)
        except (ProcessLookupError, PermissionError, ValueError):
            return None
        return data
    return data if lock_holder(paths.devnet) == int(pid) else None

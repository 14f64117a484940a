"""An operator's credentials kept in a file its owner alone can read (mode 0600): a local
cluster's (clusters/NAME/operator) and the embedded devnet's (its data dir), so every
`chaindeck` command that names them, and a person with `curl`, can act as the operator."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path

OPERATOR = "operator"


def operator_credentials(path: Path, user: str = OPERATOR) -> tuple[str, str]:
    """The `user:password` in `path`, made (randomly, 0600) on first use."""
    with contextlib.suppress(FileNotFoundError):
        stored_user, _, password = path.read_text().strip().partition(":")
        if stored_user and password:
            return stored_user, password
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(f"{user}:{password}\n")
    if sys.platform != "win32":
        os.chmod(path, 0o600)
    return user, password

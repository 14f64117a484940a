"""The window's logs: its own (rotated), the embedded devnet's (rotated as it is written), and a
crash log where faulthandler writes the Python stacks of a hard crash."""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
from pathlib import Path
from typing import TextIO

from app.paths import AppPaths

MAX_BYTES = 5 * 1024 * 1024
KEEP = 3  # chaindeck.log.1 … .3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_crash_file: TextIO | None = None  # kept open for as long as the process lives


def setup(paths: AppPaths) -> None:
    """Log to stderr and to the rotated app log; send hard crashes' stacks to the crash log."""
    global _crash_file
    handler = logging.handlers.RotatingFileHandler(
        paths.app_log, maxBytes=MAX_BYTES, backupCount=KEEP, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    root = logging.getLogger()
    root.setLevel(min(root.level or logging.INFO, logging.INFO))  # whoever set it before
    root.addHandler(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line a request otherwise
    _crash_file = open(paths.crash_log, "a", encoding="utf-8")  # noqa: SIM115 - lives on
    faulthandler.enable(_crash_file, all_threads=True)


def rotate(path: Path, keep: int = KEEP) -> None:
    """path → path.1 → … → path.<keep> (the oldest goes)."""
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    if path.exists():
        path.replace(path.with_name(f"{path.name}.1"))

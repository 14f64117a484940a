"""Before a node changes, a consistent copy of its chain (SQLite's online backup API, so a copy
taken while something reads it is still one database state), kept for an operator to restore by
hand if the new version damaged it. A rollback itself restarts the node on its own data: the
transactions it accepted meanwhile are in it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

DATABASE = "chain.sqlite3"  # backend/storage/chain_store.py


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


async def back_up(data_dir: Path, folder: Path) -> Path | None:
    """Copy the node's database into `folder`; None when it has none yet."""
    source = data_dir / DATABASE
    if not source.is_file():
        return None
    target = folder / f"{data_dir.name}.sqlite3"
    await asyncio.to_thread(_copy, source, target)
    return target

"""A real anvil (Foundry's Ethereum devnet, from npm: `make anvil`) on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANVIL = ROOT / ".tools" / "node_modules" / ".bin" / "anvil"


def anvil_missing() -> str | None:
    if ANVIL.exists():
        return None
    has_npm = any((Path(p) / "npm").exists() for p in os.environ.get("PATH", "").split(":"))
    return "anvil is not installed (make anvil)" if has_npm else "npm is missing: no anvil"


@contextmanager
def anvil(*args: str) -> Iterator[str]:
    """Yields its URL; stops it on the way out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--silent", *args], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("anvil did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)

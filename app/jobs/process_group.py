"""Start a child in its own process group that dies with us; stop it by escalating signals."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from typing import Any

PR_SET_PDEATHSIG = 1
PARENT_ENV = "CHAINDECK_PARENT_PID"


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def spawn(
    command: list[str], env: dict[str, str] | None = None, **options: Any
) -> asyncio.subprocess.Process:
    """A child in a new session (a Ctrl+C in our terminal is ours to handle, and the whole group
    can be signalled), told to stop when we die: Linux parent-death signal, plus our pid in the
    environment for the child's own watchdog everywhere else (and after a kill -9 of us)."""
    extra: dict[str, Any] = {
        "stdin": asyncio.subprocess.DEVNULL,
        "stdout": asyncio.subprocess.PIPE,
        "stderr": asyncio.subprocess.PIPE,
        **options,  # pass_fds, cwd, other stdout/stderr
    }
    if sys.platform.startswith("linux"):
        extra["preexec_fn"] = _die_with_parent
    return await asyncio.create_subprocess_exec(
        *command,
        env={**os.environ, **(env or {}), PARENT_ENV: str(os.getpid())},
        start_new_session=True,
        **extra,
    )


def _signal_group(proc: asyncio.subprocess.Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


async def stop(proc: asyncio.subprocess.Process, grace: float = 10.0) -> int:
    """SIGINT, wait; SIGTERM, wait; SIGKILL. Returns the exit code."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        if proc.returncode is not None:
            break
        _signal_group(proc, sig)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), wait)
    if proc.returncode is None:
        await proc.wait()
    _signal_group(proc, signal.SIGKILL)  # anything the child left in its group
    return proc.returncode if proc.returncode is not None else -9

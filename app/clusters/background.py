"""A node as a background process: it outlives whoever started it (its own session, no
parent-death signal, no parent pid to watch), its output goes to files, and whether it runs is
asked of its data dir's lock, which the kernel drops when it dies (a stale pid file never fools
us, and a reused pid is never signalled)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT = 60.0
LOCK_FILE = "node.lock"  # backend/node/data_dir.py
PARENT_ENV = "CHAINDECK_PARENT_PID"  # the app's watchdog: a background node must not have it


class StartFailed(Exception):
    """The node did not start; the message is the last thing it said."""


@dataclass(frozen=True)
class Started:
    pid: int
    url: str
    role: str


def lock_holder(data_dir: Path) -> int | None:
    """The pid of the node running on `data_dir`, or None when none runs there."""
    path = data_dir / LOCK_FILE
    if not path.exists():
        return None
    if sys.platform == "win32":  # no flock: trust the pid file's process
        return _pid_in(path)
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _pid_in(path) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _pid_in(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text().split()[0])
    return None


async def start(
    command: list[str],
    env: dict[str, str],
    log: Path,
    out: Path,
    pid_file: Path,
    *,
    tied: bool = False,
) -> Started:
    """Start `command` detached and wait for its ready line (shared/spec/cli.md). `tied`: it
    stops when we end, however we end (a pipeline's chain: no node left behind, even after a
    kill -9), through the node's own watch on the parent it was given."""
    environment = {k: v for k, v in os.environ.items() if k != PARENT_ENV}
    environment.update(env)
    if tied:
        environment[PARENT_ENV] = str(os.getpid())
    out.unlink(missing_ok=True)
    said_before = log.stat().st_size if log.exists() else 0  # the log is appended to
    # Popen, not the loop's subprocess: the loop would watch (and wait for) a child that is
    # meant to outlive it; an orphaned Popen is reaped by the subprocess module.
    with log.open("ab") as log_file, out.open("wb") as out_file:
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out_file,
                stderr=log_file,
                env=environment,
                start_new_session=True,
            )
        except OSError as exc:
            raise StartFailed(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    pid_file.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        ready = _ready_line(out)
        if ready is not None:
            return Started(proc.pid, str(ready["url"]), str(ready.get("role", "producer")))
        if proc.poll() is not None:
            break
        await asyncio.sleep(0.05)
    if proc.poll() is None:
        await stop_pid(proc.pid, grace=5.0)
        raise StartFailed(f"not ready after {READY_TIMEOUT:g} s{_last_words(log, said_before)}")
    pid_file.unlink(missing_ok=True)
    raise StartFailed(f"exited ({proc.returncode}){_last_words(log, said_before)}")


def _ready_line(out: Path) -> dict[str, object] | None:
    try:
        first = out.read_text(errors="replace").partition("\n")
    except OSError:
        return None
    if not first[1]:
        return None
    with contextlib.suppress(ValueError):
        line = json.loads(first[0])
        if isinstance(line, dict) and line.get("event") == "ready":
            return line
    return None


def _last_words(log: Path, since: int) -> str:
    """The last line this start wrote to the log."""
    with contextlib.suppress(OSError):
        with log.open("rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        lines = [x.strip() for x in text.splitlines() if x.strip()]
        if lines:
            return f": {lines[-1]}"
        return " without a word in its log"
    return ""


async def stop_pid(pid: int, grace: float = 10.0) -> None:
    """SIGTERM to its group (the node stops cleanly on it), then SIGKILL after `grace`."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid) and not _group_alive(pid):
                return  # its helpers too: one of them may still hold the node's port
            await asyncio.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs. A zombie does not count: it holds no port,
    and whoever reaps it (init, here) may take its time."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True  # no /proc to tell zombies apart (macOS): the group is there
    for stat in proc.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(group) == pgid and state != "Z":
                return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)  # our own child: reap it, or it never "dies"
        if done == pid:
            return False
    # A zombie someone else will reap is as good as gone.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True

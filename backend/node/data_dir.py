"""A node's data dir is its own: locked while a node runs on it, private to its owner, and its
small files written whole or not at all (shared/spec/node-api.md, "Limits and safety")."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from pathlib import Path

LOCK_FILE = "node.lock"


class DataDirError(Exception):
    """The node must not start on this data dir; the message says why, for a person."""


def describe_os_error(exc: OSError, what: str) -> str:
    """One line for a person: a full disk is named as such, not as damage."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full: cannot write {what} ({exc.strerror})"
    return f"cannot write {what}: {exc.strerror or exc}"


class DataDirLock:
    """An exclusive lock on the data dir, held for the node's life (as geth's LOCK and Bitcoin
    Core's .lock are). flock, not a pid file alone: the kernel drops it when the process dies,
    kill -9 included, so a stale file never blocks the next start."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise DataDirError(describe_os_error(exc, str(self.path))) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirError(
                f"data dir {self.path.parent} in use by pid {holder}; stop that node or use "
                "another --data-dir"
            ) from None
        self._fd = fd
        # The pid is for the message a second node prints; a full disk must not stop the node.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def make_private(data_dir: Path) -> None:
    """0700 for the dir and its folders, 0600 for every file in it, whatever was there before:
    the dir holds the wallets' and the producer's seeds."""
    if sys.platform == "win32":  # ACLs, not modes; the user profile is already private
        return
    data_dir.chmod(0o700)
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            Path(root, name).chmod(0o700)
        for name in files:
            path = Path(root, name)
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode) and stat.S_IMODE(mode) != 0o600:
                path.chmod(0o600)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole, or leave `path` as it was: a temporary file in the same
    dir, fsynced, then renamed over it. A full disk leaves no empty or cut file behind."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise DataDirError(describe_os_error(exc, str(path))) from None
    with contextlib.suppress(OSError):  # the rename's durability; not all filesystems allow it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

"""One SSH host as a deployment or a load run reaches it (asyncssh): its host key checked
against known_hosts or a key the plan pins (an unknown host is refused, never trusted on first
use), a key file or the SSH agent (a password never sits in a plan), commands whose output
streams line by line into a step's log, and files sent over SFTP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

CONNECT_TIMEOUT_S = 10.0
Log = Callable[[str], None]


class SshError(Exception):
    """A host that cannot be reached, refused or failed a command; the message is for the user."""


@dataclass(frozen=True)
class SshHost:
    host: str
    user: str
    port: int = 22
    key: Path | None = None  # a private key file; None: the SSH agent (SSH_AUTH_SOCK)
    host_key: str | None = None  # "ssh-ed25519 AAAA…": pinned, instead of known_hosts
    known_hosts: Path | None = None  # None: ~/.ssh/known_hosts
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


def _known_hosts(host: SshHost) -> Any:
    if host.host_key:
        names = host.host if host.port == 22 else f"[{host.host}]:{host.port}"
        return asyncssh.import_known_hosts(f"{names} {host.host_key}\n")
    path = host.known_hosts or Path.home() / ".ssh" / "known_hosts"
    if not path.exists():
        return asyncssh.import_known_hosts("")  # nothing known: every host is refused
    return str(path)


class SshSession:
    """An open connection to one host; `async with SshSession(host) as ssh:`."""

    def __init__(self, host: SshHost) -> None:
        self.host = host
        self.conn: asyncssh.SSHClientConnection | None = None

    async def __aenter__(self) -> SshSession:
        await self.connect()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        host = self.host
        keys = [str(host.key)] if host.key is not None else None
        try:
            self.conn = await asyncio.wait_for(
                asyncssh.connect(
                    host.host,
                    host.port,
                    username=host.user,
                    known_hosts=_known_hosts(host),
                    client_keys=keys,
                    agent_path=None if keys else os.environ.get("SSH_AUTH_SOCK"),
                    password=None,
                    kbdint_auth=False,
                    connect_timeout=CONNECT_TIMEOUT_S,
                ),
                CONNECT_TIMEOUT_S + 5,
            )
        except asyncssh.HostKeyNotVerifiable as exc:
            raise SshError(
                f"{host.where}: its host key is not known ({exc.reason}); add the host to "
                'known_hosts or pin its key in the plan (host_key = "ssh-ed25519 …")'
            ) from None
        except asyncssh.PermissionDenied:
            how = f"the key {host.key}" if host.key else "the SSH agent's keys"
            raise SshError(f"{host.where}: login refused with {how}") from None
        except (OSError, TimeoutError, asyncssh.Error) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
            raise SshError(f"{host.where}: unreachable ({reason or 'timed out'})") from None

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            await self.conn.wait_closed()
            self.conn = None

    async def run(
        self,
        command: str,
        log: Log,
        *,
        env: Mapping[str, str] | None = None,
        timeout: float = 600.0,
        check: bool = True,
        pty: bool = False,
    ) -> int:
        """Run `command` in the login shell; every line it prints (stdout and stderr) goes to
        `log` as it comes. The exit status; SshError when it is not 0 and `check`."""
        assert self.conn is not None, "connect() first"
        variables = {**self.host.env, **(env or {})}
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in variables.items())
        line = f"export {exports}; {command}" if exports else command
        log(f"{self.host.host}$ {command}")
        try:
            async with asyncio.timeout(timeout):
                # a pty: closing the connection hangs the command up, so nothing outlives it
                terminal = {"term_type": "dumb"} if pty else {}
                process = await self.conn.create_process(line, stderr=asyncssh.STDOUT, **terminal)
                async for text in process.stdout:
                    if text.strip():  # a blank line says nothing in a step's log
                        log(f"  {text.rstrip()}")
                done = await process.wait()
        except TimeoutError:
            raise SshError(f"{self.host.where}: `{command}` ran over {timeout:.0f} s") from None
        except asyncssh.Error as exc:
            raise SshError(f"{self.host.where}: `{command}`: {exc.reason}") from None
        status = done.exit_status if done.exit_status is not None else 255
        if check and status != 0:
            raise SshError(f"{self.host.where}: `{command}` exited {status}")
        return status

    @contextlib.asynccontextmanager
    async def _sftp(
        self, failure: str, *, may_be_missing: bool = False
    ) -> AsyncIterator[asyncssh.SFTPClient]:
        """An SFTP session; an error in it becomes SshError saying `failure` (what could not be
        done), but for a missing file where the caller expects one (`may_be_missing`)."""
        assert self.conn is not None, "connect() first"
        try:
            async with self.conn.start_sftp_client() as sftp:
                yield sftp
        except (OSError, asyncssh.Error) as exc:
            if may_be_missing and isinstance(exc, asyncssh.SFTPNoSuchFile):
                raise
            raise SshError(f"{self.host.where}: {failure}: {exc}") from None

    async def upload(self, local: Path, remote: str, log: Log) -> None:
        """`local` (a file or a folder) to `remote` on the host, over SFTP."""
        log(f"{self.host.host}: upload {local} → {remote}")
        async with self._sftp(f"upload of {local} failed") as sftp:
            await sftp.put(str(local), remote, recurse=local.is_dir(), preserve=True)

    async def read_text(self, remote: str) -> str | None:
        """A text file on the host, or None when there is none."""
        try:
            read = self._sftp(f"cannot read {remote}", may_be_missing=True)
            async with read as sftp, sftp.open(remote, "r") as f:
                return str(await f.read())
        except asyncssh.SFTPNoSuchFile:
            return None

    async def write_text(self, remote: str, text: str) -> None:
        """`text` into a file on the host (replaced whole, never half-written)."""
        partial = f"{remote}.partial"
        async with self._sftp(f"cannot write {remote}") as sftp:
            async with sftp.open(partial, "w") as f:
                await f.write(text)
            await sftp.posix_rename(partial, remote)

    async def remove(self, remote: str) -> None:
        try:
            async with self._sftp(f"cannot remove {remote}", may_be_missing=True) as sftp:
                await sftp.remove(remote)
        except asyncssh.SFTPNoSuchFile:
            return

    async def realpath(self, remote: str) -> str:
        """`remote` as an absolute path on the host (a relative one is under the login's home)."""
        async with self._sftp(f"no folder {remote}") as sftp:
            return str(await sftp.realpath(remote))

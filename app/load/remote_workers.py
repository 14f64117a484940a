"""Load workers on other machines, started over SSH (app/remote/ssh.py): each host runs
`chaindeck load-worker` against a port the SSH connection forwards back to the master, so the
master keeps listening on 127.0.0.1 and Locust's unauthenticated link never crosses a network in
the clear. Each worker is named by its host in the run's per-worker figures."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from pathlib import Path

from app.load.plan import LoadError
from app.remote.ssh import SshError, SshHost, SshSession

WORKER_LABEL_ENV = "CHAINDECK_WORKER_LABEL"


def parse_host(spec: str, key: str | None, known_hosts: str | None) -> SshHost:
    """`USER@HOST[:PORT]` (the --ssh-worker option) → the host, its key checked against
    known_hosts (never trusted on first use)."""
    user, at, rest = spec.rpartition("@")
    host, colon, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
    if not at or not user or not (host or rest):
        raise LoadError(f"--ssh-worker {spec!r}: USER@HOST or USER@HOST:PORT")
    if colon and not port.isdigit():
        raise LoadError(f"--ssh-worker {spec!r}: the port is a number")
    return SshHost(
        host=host if colon else rest,
        user=user,
        port=int(port) if colon else 22,
        key=Path(key).expanduser() if key else None,
        known_hosts=Path(known_hosts).expanduser() if known_hosts else None,
    )


class RemoteWorkers:
    """Connected before the run starts (a host that cannot be reached fails it at once), each
    running one worker for as long as the master runs."""

    def __init__(self, hosts: list[SshHost], chaindeck: str, log: Path) -> None:
        self.hosts = hosts
        self.chaindeck = chaindeck
        self.log = log
        self.sessions: list[SshSession] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.problems: list[str] = []

    async def connect(self) -> None:
        """SshError naming the first host that did not let us in."""
        for host in self.hosts:
            session = SshSession(host)
            await session.connect()
            self.sessions.append(session)

    def start(self, master_port: int) -> None:
        for session in self.sessions:
            self.tasks.append(asyncio.create_task(self._work(session, master_port)))

    async def _work(self, session: SshSession, master_port: int) -> None:
        assert session.conn is not None
        label = session.host.where
        try:
            listener = await session.conn.forward_remote_port(
                "127.0.0.1", 0, "127.0.0.1", master_port
            )
            master = f"127.0.0.1:{listener.get_port()}"
            command = f"{shlex.quote(self.chaindeck)} load-worker --master {master}"
            with self.log.open("a") as out:

                def write(line: str) -> None:
                    out.write(f"[{label}] {line}\n")
                    out.flush()

                status = await session.run(
                    command, write, env={WORKER_LABEL_ENV: label}, timeout=24 * 3600,
                    check=False, pty=True,
                )  # fmt: skip
            if status not in (0, 1):  # Locust's worker exits 1 when its master reported failures
                self.problems.append(f"{label}: the worker exited {status} (see {self.log})")
        except (SshError, OSError) as exc:
            self.problems.append(f"{label}: {exc}")

    async def close(self) -> None:
        """The workers end with the master; a hung one goes with its connection (its pty)."""
        if self.tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 15)
        for task in self.tasks:
            task.cancel()
        for session in self.sessions:
            await session.close()
        self.sessions.clear()

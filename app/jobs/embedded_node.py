"""The embedded devnet: `chaindeck node` as a child process of the app.

It is started through the same installation as the app (app.resources.node_command), its ready
line is read from stdout, its log (stderr) is kept in a file and its last lines in memory so a
crash can be shown with its cause.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import logs
from app.jobs import process_group
from app.resources import node_command
from app.tasks import cancel_all

# What a node prints when another node holds its data dir (backend/node/data_dir.py).
IN_USE = re.compile(r"in use by pid (\d+)")
READY_TIMEOUT = 60.0
TAIL_LINES = 40


@dataclass(frozen=True)
class DevnetSettings:
    block_time: float = 0.0
    accounts: int = 10
    # Published like anvil's keys: a script knows the dev wallets from the seed (a new chain only)
    dev_seed: str = "chaindeck"
    balance: int = 1000
    difficulty: int = 0
    port: int = 8645  # the devnet's own; a local cluster's nodes take free ones

    def arguments(self) -> list[str]:
        """The chain's options (the port is the devnet's alone, not a cluster's)."""
        return [
            "--block-time",
            f"{self.block_time:g}",
            "--accounts",
            str(self.accounts),
            *(["--dev-seed", self.dev_seed] if self.dev_seed else []),
            "--balance",
            str(self.balance),
            "--difficulty",
            str(self.difficulty),
        ]

    def problems(self) -> list[str]:
        found = []
        if not 0 <= self.block_time <= 3600:
            found.append("block time must be 0 to 3600 seconds")
        if not 0 <= self.accounts <= 1000:
            found.append("dev accounts must be 0 to 1000")
        if not (len(self.dev_seed) <= 200 and self.dev_seed.isprintable()):
            found.append("dev seed must be at most 200 printable characters")
        if not 0 < self.balance <= 10**9:
            found.append("balance must be 1 to 1,000,000,000 coins")
        if not 0 <= self.difficulty <= 24:
            found.append("difficulty must be 0 to 24 bits")
        if not 1024 <= self.port <= 65535:
            found.append("port must be 1024 to 65535")
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DevnetSettings:
        data = data or {}
        names = ("block_time", "accounts", "dev_seed", "balance", "difficulty", "port")
        fields = {k: data[k] for k in names if k in data}
        return cls(**fields)


@dataclass(frozen=True)
class ReadyNode:
    url: str
    chain_id: str
    role: str
    pid: int
    username: str
    password: str


class NodeStartError(Exception):
    def __init__(self, message: str, tail: str = "") -> None:
        super().__init__(message)
        self.tail = tail


class EmbeddedNode:
    """One run of the node process. `on_exit(code, tail)` is called if it ends on its own."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        settings: DevnetSettings,
        on_exit: Callable[[int, str], None],
        *,
        port: int = 0,
        ephemeral: bool = False,
        peer: str | None = None,
        password: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.settings = settings
        self.on_exit = on_exit
        self.port = port
        self.ephemeral = ephemeral
        # A follower of `peer` takes the chain's settings from it; a cluster shares one password
        # so a follower can act for the operator on its producer.
        self.peer = peer
        self.password = password
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.proc: asyncio.subprocess.Process | None = None
        self.ready: ReadyNode | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def prepare(self) -> str | None:
        """What is wrong with the settings, for the user; None when it can start."""
        problems = self.settings.problems()
        return "; ".join(problems) if problems else None

    def command(self) -> list[str]:
        where = ["--ephemeral"] if self.ephemeral else ["--data-dir", str(self.data_dir)]
        chain = ["--peer", self.peer] if self.peer else self.settings.arguments()
        return [*node_command(), "--port", str(self.port), *where, *chain]

    async def start(self) -> ReadyNode:
        problem = self.prepare()
        if problem:
            raise NodeStartError(problem)
        # A fresh operator password every run: nothing to store, nothing to leak.
        password = self.password or secrets.token_urlsafe(24)
        self.proc = await process_group.spawn(
            self.command(), env={"CHAINDECK_OPERATOR": f"operator:{password}"}
        )
        self._tasks.append(asyncio.create_task(self._pump_log(), name="devnet-log"))
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), READY_TIMEOUT)
        except TimeoutError:
            line = b""
        try:
            ready = json.loads(line) if line else None
        except ValueError:
            ready = None
        if not isinstance(ready, dict) or ready.get("event") != "ready":
            await self.stop()
            raise NodeStartError(self._why_not_started(), self.tail_text())
        self.ready = ReadyNode(
            url=ready["url"],
            chain_id=str(ready.get("chainId", "")),
            role=str(ready.get("role", "producer")),
            pid=self.proc.pid,
            username="operator",
            password=password,
        )
        self._tasks.append(asyncio.create_task(self._watch(), name="devnet-watch"))
        return self.ready

    async def _pump_log(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        log = open(self.log_path, "ab")  # noqa: SIM115 - replaced when it rotates
        try:
            while line := await self.proc.stderr.readline():
                log.write(line)
                log.flush()
                self.tail.append(line.decode("utf-8", "replace").rstrip())
                if log.tell() > logs.MAX_BYTES:  # a busy node's log stays bounded
                    log.close()
                    logs.rotate(self.log_path)
                    log = open(self.log_path, "ab")  # noqa: SIM115
        finally:
            log.close()

    async def _watch(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        # Drain stdout too, so the node never blocks on a full pipe.
        while await self.proc.stdout.read(65536):
            pass
        code = await self.proc.wait()
        await asyncio.sleep(0.1)  # let the log pump catch the last lines
        if not self._stopping:
            self.on_exit(code, self.tail_text())

    def _why_not_started(self) -> str:
        last = self.last_error()
        holder = IN_USE.search(last)
        if holder:
            # The node locks its data dir: another window (or a `chaindeck node`) runs it.
            return (
                f"this chain is already in use by another ChainDeck window or node "
                f"(pid {holder.group(1)}): switch to that window, stop that node, or start "
                "this one with --no-embedded or another --data-dir"
            )
        return "the node did not start" + (f": {last}" if last else "")

    def tail_text(self) -> str:
        return "\n".join(self.tail)

    def last_error(self) -> str:
        for line in reversed(self.tail):
            if line.strip():
                return line.strip()
        return ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def stop(self, grace: float = 10.0) -> int | None:
        self._stopping = True
        code = None
        if self.proc is not None:
            code = await process_group.stop(self.proc, grace)
        await cancel_all(self._tasks)
        return code

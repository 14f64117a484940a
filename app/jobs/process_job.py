"""A job whose work is a child process: its own process group, events as JSON lines on a pipe
of their own (stdout and stderr stay free for the child's output, kept in a log), the end of
that output for the user, and a cancel that escalates SIGINT → SIGTERM → SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from app.jobs import process_group

EVENT_LINE_LIMIT = 16 * 2**20  # one event may carry a long traceback or a big summary


class ProcessJob:
    cancel_grace = 5.0  # s between SIGINT and SIGTERM: the child's chance to report
    takes_commands = False  # a pipe the other way too: `commands_fd` in the child, `send()` here

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.exit_code: int | None = None
        self.cancelled = False
        self.commands_fd = -1  # the child's end, while command() is built
        self._commands: int | None = None  # our end
        self.helpers: list[asyncio.subprocess.Process] = []

    # -- what a kind says ----------------------------------------------------------------------
    def command(self, events_fd: int) -> list[str]:
        raise NotImplementedError

    def companions(self) -> list[list[str]]:
        """Helpers started after the child, each in a process group of its own (a session's
        groups cannot be joined from outside it): stopped after it, and ended when it ends
        (Locust's workers beside its master)."""
        return []

    def environment(self) -> dict[str, str]:
        return {}

    def working_dir(self) -> str | None:
        return None

    # -- the machinery -------------------------------------------------------------------------
    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Starts the child and yields its events as they come (dicts with an "event" key),
        then `{"event": "exited", "code", "cancelled", "output"}`."""
        read_fd, write_fd = os.pipe()
        child_fds = [write_fd]
        if self.takes_commands:
            self.commands_fd, self._commands = os.pipe()
            os.set_blocking(self._commands, False)
            child_fds.append(self.commands_fd)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {"PYTHONUNBUFFERED": "1", **self.environment()}
        try:
            with self.log_path.open("wb") as log:
                output = {"stdout": log, "stderr": asyncio.subprocess.STDOUT}
                self.proc = await process_group.spawn(
                    self.command(write_fd),
                    env=env,
                    pass_fds=tuple(child_fds),
                    cwd=self.working_dir(),
                    **output,
                )
                for helper in self.companions():
                    self.helpers.append(
                        await process_group.spawn(helper, env=env, cwd=self.working_dir(), **output)
                    )
        except BaseException:
            os.close(read_fd)
            self._close_commands()
            await self._stop_all(grace=0.5)
            raise
        finally:
            for fd in child_fds:
                os.close(fd)  # the child holds the only write end: EOF when it exits
        reader = asyncio.StreamReader(limit=EVENT_LINE_LIMIT)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", 0)
        )
        try:
            while line := await reader.readline():
                with contextlib.suppress(ValueError):
                    event = json.loads(line)
                    if isinstance(event, dict) and "event" in event:
                        yield event
            self.exit_code = await self.proc.wait()
            await self._stop_helpers(grace=0.5)  # they end with the child (or are told to)
        except BaseException:
            await self.cancel()  # the consumer went away or was cancelled: stop the child too
            raise
        finally:
            transport.close()
            self._close_commands()
        yield {
            "event": "exited",
            "code": self.exit_code,
            "cancelled": self.cancelled,
            "output": self.output_tail(),
        }

    def send(self, command: dict[str, Any]) -> bool:
        """One JSON line to the child's commands pipe; False when it is not listening."""
        if self._commands is None:
            return False
        try:
            os.write(self._commands, (json.dumps(command) + "\n").encode())
        except OSError:  # the child is gone, or not reading (a full pipe): not worth a hang
            return False
        return True

    def _close_commands(self) -> None:
        if self._commands is not None:
            os.close(self._commands)
            self._commands = None

    async def cancel(self) -> None:
        """SIGINT (the child stops cleanly and reports), then SIGTERM, then SIGKILL, on the
        whole process group: whatever the child started goes too."""
        self.cancelled = True
        await self._stop_all(self.cancel_grace)

    async def _stop_all(self, grace: float) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.exit_code = await process_group.stop(self.proc, grace=grace)
        await self._stop_helpers(grace=3.0)

    async def _stop_helpers(self, grace: float) -> None:
        """Helpers usually end with the child (Locust's master tells its workers to quit): a
        moment for that, then the signals."""
        running = [asyncio.ensure_future(h.wait()) for h in self.helpers if h.returncode is None]
        if running:
            await asyncio.wait(running, timeout=grace)
        await asyncio.gather(*(process_group.stop(h, grace=1.0) for h in self.helpers))

    def output_tail(self, lines: int = 12, width: int = 400) -> str:
        """The end of the child's own output: why a run stopped before it began (usage, import)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(line[:width] for line in text.splitlines()[-lines:])

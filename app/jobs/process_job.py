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

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.exit_code: int | None = None
        self.cancelled = False

    # -- what a kind says ----------------------------------------------------------------------
    def command(self, events_fd: int) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return {}

    def working_dir(self) -> str | None:
        return None

    # -- the machinery -------------------------------------------------------------------------
    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Starts the child and yields its events as they come (dicts with an "event" key),
        then `{"event": "exited", "code", "cancelled", "output"}`."""
        read_fd, write_fd = os.pipe()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.log_path.open("wb") as log:
                self.proc = await process_group.spawn(
                    self.command(write_fd),
                    env={"PYTHONUNBUFFERED": "1", **self.environment()},
                    pass_fds=(write_fd,),
                    stdout=log,
                    stderr=asyncio.subprocess.STDOUT,
                    cwd=self.working_dir(),
                )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)  # the child holds the only write end: EOF when it exits
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
        except BaseException:
            await self.cancel()  # the consumer went away or was cancelled: stop the child too
            raise
        finally:
            transport.close()
        yield {
            "event": "exited",
            "code": self.exit_code,
            "cancelled": self.cancelled,
            "output": self.output_tail(),
        }

    async def cancel(self) -> None:
        """SIGINT (the child stops cleanly and reports), then SIGTERM, then SIGKILL, on the
        whole process group: whatever the child started goes too."""
        self.cancelled = True
        if self.proc is not None and self.proc.returncode is None:
            self.exit_code = await process_group.stop(self.proc, grace=self.cancel_grace)

    def output_tail(self, lines: int = 12, width: int = 400) -> str:
        """The end of the child's own output: why a run stopped before it began (usage, import)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(line[:width] for line in text.splitlines()[-lines:])

"""Whether a node must stop because one of its helper processes (database writer, signature
verifiers) died. A helper is not restarted: whether the write it held was committed is unknown,
and the node's memory must match its database. So the node stops, and whatever runs it (the app,
systemd, a shell loop) starts it again from what is on disk; until it is down, writes answer 503
`storage_failed` and reads go on.

A helper ended by SIGTERM, SIGINT or SIGHUP may have had it from a stop of the whole process
group (systemctl stop, `kill -- -PGID`) whose signal has not reached the node's own handler yet
(a helper ignores those signals only once it has started): that is a stop, so the watch waits a
moment for it before calling it a crash."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

from backend.child_link import stopped_by_a_stop_signal

log = logging.getLogger("chaindeck.node")
GROUP_STOP_WAIT_S = 1.0


class HelperWatch:
    def __init__(self, stopping: Callable[[], bool]) -> None:
        self.stopping = stopping  # the node is stopping on purpose
        self.stop_requested = False  # the process got a stop signal (the server says so)
        self.fatal: str | None = None  # why the node must stop; the server listens
        self.listeners: list[Callable[[str], None]] = []

    def gone(self, why: str, retried: bool = False) -> None:
        """A helper died (`why`, from child_link.how_it_stopped)."""
        if self.stopping() or self.stop_requested or self.fatal is not None:
            return
        if stopped_by_a_stop_signal(why) and not retried:
            later = functools.partial(self.gone, why, retried=True)
            asyncio.get_running_loop().call_later(GROUP_STOP_WAIT_S, later)
            return
        self.fatal = f"{why}; the node is stopping (start it again: its chain is on disk)"
        log.critical("%s", self.fatal)
        for listener in self.listeners:
            listener(self.fatal)

"""Nodes a test started in the background (`chaindeck cluster up` detaches them, so they are
not the test's children): found by the data dir on their command line."""

from __future__ import annotations

import contextlib
from pathlib import Path

import psutil


def nodes_under(folder: Path) -> list[psutil.Process]:
    found = []
    where = str(folder.resolve())
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error, ValueError):
            cmdline = proc.info["cmdline"] or []
            mine = "node" in cmdline and any(arg.startswith(where) for arg in cmdline)
            if mine and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
    return found


def kill_nodes_under(folder: Path) -> list[list[str]]:
    """Kill them; their command lines, for the failure message."""
    killed = []
    for proc in nodes_under(folder):
        with contextlib.suppress(psutil.Error):
            killed.append(proc.cmdline())
            proc.kill()
    return killed

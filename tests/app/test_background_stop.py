"""Stopping a background node waits for its whole process group (a helper may hold its port),
but not for zombies: they hold nothing, and init may take its time to reap them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.clusters import background

# A parent that never reaps: its child leaves for a process group of its own and exits.
ORPHANED_ZOMBIE = """
import os, sys, time
child = os.fork()
if child == 0:
    os.setpgid(0, 0)
    os._exit(0)
print(child, flush=True)
time.sleep(30)
"""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="zombies are told apart through /proc")
def test_a_group_left_with_only_a_zombie_is_gone() -> None:
    parent = subprocess.Popen([sys.executable, "-c", ORPHANED_ZOMBIE], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        zombie = int(parent.stdout.readline())
        deadline = time.monotonic() + 10
        stat = Path(f"/proc/{zombie}/stat")
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.killpg(zombie, 0)  # the kernel still counts the group...
        assert not background._group_alive(zombie)  # ...but nothing of it runs
        assert background._group_alive(os.getpgid(parent.pid))  # a running group is alive
    finally:
        parent.kill()
        parent.wait()

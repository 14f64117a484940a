"""A local node's CPU and memory include its helper processes (writer, verifiers)."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from app.health.process_metrics import LocalProcess

# A parent that does nothing, with a child that holds 200 MB of its own and keeps a core busy:
# what a node under load looks like now that its writes and checks run in helpers.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import sys\\nheld = bytearray(200 << 20)\\nfor i in range(0, len(held), 4096): held[i] = 1\\n"
    "print('ready', flush=True)\\nwhile True: pass"], stdout=subprocess.PIPE)
child.stdout.readline()
print("ready", flush=True)
try:
    time.sleep(120)
finally:
    child.kill()
"""


def test_a_local_process_reads_with_its_children() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == b"ready"
        own_rss = psutil.Process(parent.pid).memory_info().rss / 2**20
        local = LocalProcess(parent.pid)
        assert local.read() is None  # primes the CPU counters
        time.sleep(0.5)
        reading = local.read()
        assert reading is not None and reading.mem_mb is not None and reading.cpu_pct is not None
        assert own_rss < 100
        assert reading.mem_mb > 190, reading  # the child's 200 MB are counted
        assert reading.cpu_pct > 0, reading  # and so is its busy core (any share of it)
    finally:
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait(10)

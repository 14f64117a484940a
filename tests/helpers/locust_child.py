"""Running a piece of the load users' code in a child process, as Locust runs it: their modules
are gevent's and Locust's, whose import monkey-patches the standard library, so a test never
imports them itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_child(script: str, tmp_path: Path, *args: str, timeout: float = 60) -> Any:
    """Run `script` with `args`; what it printed last, as JSON. Fails the test on its error."""
    path = tmp_path / "child.py"
    path.write_text(script)
    done = subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])

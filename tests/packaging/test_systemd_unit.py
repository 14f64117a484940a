"""The systemd unit an ssh deployment drives (`unit = "chaindeck-node"`): systemd's own checker
finds nothing wrong with it, and it starts the build and options that the ssh target writes into
node.env. (No systemd runs on these machines: the unit has not been run here.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from app.clusters.folder import NodeVersion
from app.deploy.ssh_target import env_text

UNIT = Path(__file__).resolve().parents[2] / "packaging" / "systemd" / "chaindeck-node.service"


def test_systemd_finds_nothing_wrong_with_the_unit() -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    run = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(UNIT)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    problems = [line for line in (run.stdout + run.stderr).splitlines() if str(UNIT) in line]
    assert run.returncode == 0 and problems == [], run.stdout + run.stderr


def test_the_unit_starts_what_node_env_names() -> None:
    written = env_text(NodeVersion("/srv/chaindeck/builds/chaindeck", ("--block-time", "1")))
    names = [line.split("=", 1)[0] for line in written.splitlines()]
    text = UNIT.read_text()
    assert "EnvironmentFile=/srv/chaindeck/node.env" in text
    (start,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    assert all(f"${name}" in start for name in names), (names, start)

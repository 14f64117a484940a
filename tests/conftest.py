"""Test set-up shared by every folder: offscreen Qt, and no test may leave a process behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import psutil
import pytest

from tests.helpers.leftovers import kill_nodes_under
from tests.helpers.node_process import NodeProcess

# CI has no display; Qt must never try to open one.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# What a run writes outside tmp_path (node logs, the runtime dir, the temporary folders of child
# processes, such as an ephemeral node's that a test kills) goes in one folder of its own,
# removed when the run ends, so a test run leaves nothing in /tmp. One per xdist worker.
SCRATCH = tempfile.mkdtemp(prefix="chaindeck-tests-")
os.environ.setdefault("PYTEST_TMP", SCRATCH)
os.environ["TMPDIR"] = SCRATCH
# No test may pop notifications up on the desktop of whoever runs the suite: alerts go to the
# tray list unless a test brings its own D-Bus session (tests/widgets/test_desktop_alerts.py).
os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="runtime-", dir=SCRATCH)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(SCRATCH, ignore_errors=True)


EXIT_GRACE_S = 2.0


@pytest.fixture(autouse=True)
def no_leftover_processes(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves a child process running (module fixtures own theirs)."""
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    yield
    leftover = [p for p in me.children(recursive=True) if p.pid not in before and p.is_running()]
    # A process already on its way out gets a moment: a module's sshd forks a process for each
    # connection, which exits just after the client hangs up (it failed a CI run once).
    _, leftover = psutil.wait_procs(leftover, timeout=EXIT_GRACE_S)
    leftover = [p for p in leftover if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    if leftover:
        for p in leftover:
            p.kill()
        pytest.fail(
            f"{request.node.nodeid} left processes running: {[p.cmdline() for p in leftover]}"
        )


@pytest.fixture(autouse=True, scope="session")
def no_background_nodes_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Background nodes (local clusters) outlive the command that started them: none may
    outlive the test session."""
    yield
    killed = kill_nodes_under(tmp_path_factory.getbasetemp())
    assert not killed, f"background nodes were left running: {killed}"


@pytest.fixture(scope="module")
def node() -> Iterator[NodeProcess]:
    """A plain node shared by a module's tests; a module that needs other options has its own."""
    with NodeProcess() as proc:
        yield proc

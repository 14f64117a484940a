"""Qt + asyncio for tests: a qasync loop marked running for the whole test, so services' tasks
run whenever Qt processes events (inside `qtbot.waitSignal`, `qtbot.waitUntil`), and a check that
a test leaves no asyncio task and no active QTimer behind."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

T = TypeVar("T")


def active_timers() -> list[QTimer]:
    found = []
    for obj in gc.get_objects():
        if issubclass(type(obj), QTimer):
            with contextlib.suppress(RuntimeError):  # RuntimeError: its C++ side is gone
                if obj.isActive():
                    found.append(obj)
    return found


_loop: qasync.QEventLoop | None = None


def session_loop(qapp: Any) -> qasync.QEventLoop:
    """One loop for the session: a qasync loop cannot be stopped and replaced while Qt keeps
    running (a second one never gets its timers fired), so tests share it and each test checks
    that it leaves the loop as it found it."""
    global _loop
    if _loop is None:
        _loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(_loop)
    asyncio.events._set_running_loop(_loop)
    return _loop


@pytest.fixture
def qloop(qapp: Any, request: pytest.FixtureRequest) -> Iterator[qasync.QEventLoop]:
    loop = session_loop(qapp)
    timers_before = {id(t) for t in active_timers()}
    yield loop
    left = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in left:
        task.cancel()
    if left:
        QtBot(request).waitUntil(lambda: all(t.done() for t in left), timeout=5000)
    timers = [t for t in active_timers() if id(t) not in timers_before]
    for timer in timers:
        timer.stop()
    asyncio.events._set_running_loop(None)  # other tests may run their own loops
    problems = []
    if left:
        problems.append(f"asyncio tasks still running: {[t.get_name() for t in left]}")
    if timers:
        problems.append(
            "QTimers still active: "
            f"{[t.objectName() or f'{t!r} of {type(t.parent()).__name__}' for t in timers]}"
        )
    if problems:
        pytest.fail(f"{request.node.nodeid} left " + "; ".join(problems))


def run(qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run `coro` on the test's qasync loop while Qt processes events; return its result."""
    task = asyncio.ensure_future(coro)
    try:
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
    except BaseException:
        task.cancel()
        qtbot.waitUntil(task.done, timeout=5000)
        raise
    return task.result()


@pytest.fixture(scope="session", autouse=True)
def close_session_loop() -> Iterator[None]:
    yield
    if _loop is not None:
        # qasync's QThreadExecutor: QThreads left running abort the process at exit
        executor = getattr(_loop, "_QEventLoop__default_executor", None)
        if executor is not None:
            executor.shutdown(wait=True)
            # Each conftest that imports this fixture ends it once: shut down only once.
            _loop._QEventLoop__default_executor = None  # type: ignore[attr-defined]

"""A node shared by a module's test-run tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.node_process import NodeProcess


@pytest.fixture(scope="module")
def node() -> Iterator[NodeProcess]:
    proc = NodeProcess().start()
    try:
        yield proc
    finally:
        proc.stop()

"""One shared node per module for the read-mostly API tests; tests that need their own start it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.node_process import NodeProcess


@pytest.fixture(scope="module")
def token(node: NodeProcess) -> str:
    return node.token()


@pytest.fixture
def client(node: NodeProcess) -> Iterator[httpx.Client]:
    with node.client() as c:
        yield c


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

"""Shared helpers for the conformance suite: the error shape, and a wallet funded for writes."""

from __future__ import annotations

import pytest

from app.signing import Signer
from app.suites.plugin import NodeApi

pytestmark = pytest.mark.native


@pytest.fixture(scope="session")
def chain_id(node: NodeApi) -> str:
    return node.chain_id


@pytest.fixture(scope="module")
def funded(node: NodeApi, chain_id: str) -> Signer:
    """A fresh key holding 20 coins, funded by the operator (skips without credentials)."""
    signer = Signer(chain_id)
    node.wait_confirmed(node.fund(signer.address, 20))
    return signer

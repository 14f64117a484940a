"""On a cluster: a confirmed block is the same block on every node."""

from __future__ import annotations

import time

import httpx
import pytest

from app.signing import Signer
from app.suites.plugin import NodeApi

pytestmark = pytest.mark.native


def test_every_node_of_the_cluster_has_the_same_block(node: NodeApi) -> None:
    peers = node.get("/api/v1/network/status").json()["peers"]
    if not peers:
        pytest.skip("the target has no peers: not a cluster")
    signer = Signer(node.chain_id)
    confirmed = node.wait_confirmed(node.fund(signer.address, 1))
    height, block_hash = confirmed["blockHeight"], confirmed["blockHash"]
    for peer in peers:
        deadline = time.monotonic() + 30
        while True:
            response = httpx.get(f"{peer['url']}/api/v1/blocks/{height}", timeout=10)
            if response.status_code == 200:
                assert response.json()["hash"] == block_hash, f"{peer['url']} forked at {height}"
                break
            assert time.monotonic() < deadline, f"{peer['url']} never reached height {height}"
            time.sleep(0.2)

"""`chaindeck load` against a real anvil (Foundry's Ethereum devnet, from npm): transfers signed
with eth-account and counted on the chain, JSON-RPC reads, and newHeads subscribers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.anvil import anvil, anvil_missing
from tests.runs.test_load_runs import load

pytestmark = pytest.mark.skipif(anvil_missing() is not None, reason=anvil_missing() or "")


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    with anvil("--block-time", "1") as url:
        yield url


def rpc(url: str, method: str, *params: object) -> object:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    return httpx.post(url, json=body).json()["result"]


def test_transfers_on_anvil_are_counted_on_the_chain(node: str) -> None:
    # The drain ends as soon as nothing is pending; a long limit only matters on a machine
    # busy with other tests (a 15 s limit once left 1 of 1,320 transfers uncounted in CI).
    run = load(
        node, "--users", "4", "--duration", "2s", "--drain", "60s", "--json",
        "--threshold", "inclusion_p95<10s",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["kind"] == "ethereum" and summary["errors"] == {}
    tx = summary["transactions"]
    assert tx["included"] > 0 and tx["pending"] == 0
    mined = sum(
        int(str(rpc(node, "eth_getTransactionCount", address, "latest")), 16)
        for address in summary["senders"]
    )
    assert mined == tx["included"]
    assert "eth_sendRawTransaction" in summary["endpoints"]


def test_reads_and_subscribers_on_anvil(node: str) -> None:
    reads = load(node, "--scenario", "reads", "--users", "2", "--duration", "2s", "--json",
                 "--threshold", "p95{name=eth_getBlockByNumber}<5s")  # fmt: skip
    assert reads.returncode == 0, reads.stderr + reads.stdout
    summary = json.loads(reads.stdout.splitlines()[-1])
    assert {"eth_blockNumber", "eth_getBlockByNumber"} <= set(summary["endpoints"])
    subscribers = load(node, "--scenario", "subscribers", "--users", "2", "--duration", "3s",
                       "--json")  # fmt: skip
    assert subscribers.returncode == 0, subscribers.stderr + subscribers.stdout
    summary = json.loads(subscribers.stdout.splitlines()[-1])
    assert summary["subscribers"]["blocks"] > 0 and summary["failures"] == 0

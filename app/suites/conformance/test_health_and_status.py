"""GET /health, /metrics and /api/v1/network/status."""

from __future__ import annotations

import re

import pytest

from app.suites.plugin import NodeApi

pytestmark = pytest.mark.native
HASH = re.compile(r"^0x[0-9a-f]{64}$")


def test_health_answers_ok_with_height_role_and_version(node: NodeApi) -> None:
    response = node.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert isinstance(body["height"], int) and body["height"] >= 0
    assert body["role"] in ("producer", "follower")
    assert body["version"]


def test_network_status_has_every_field(node: NodeApi) -> None:
    body = node.get("/api/v1/network/status").json()
    missing = {
        "chainId",
        "blockHeight",
        "latestHash",
        "difficulty",
        "blockTime",
        "mempoolSize",
        "peers",
        "role",
        "version",
        "uptime",
    } - set(body)
    assert not missing, f"network/status lacks {sorted(missing)}"
    assert isinstance(body["chainId"], str) and body["chainId"]
    assert HASH.match(body["latestHash"]), body["latestHash"]
    assert isinstance(body["peers"], list)
    for peer in body["peers"]:
        assert {"url", "role", "height", "lastSeen"} <= set(peer), peer


def test_status_and_latest_block_agree(node: NodeApi) -> None:
    status = node.get("/api/v1/network/status").json()
    block = node.get(f"/api/v1/blocks/{status['blockHeight']}").json()
    # The head may move between the two reads; the block at that height must exist.
    assert block["height"] == status["blockHeight"]


def test_metrics_are_prometheus_text_with_the_node_figures(node: NodeApi) -> None:
    node.get("/health")
    response = node.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    names = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)", response.text, re.M))
    assert any("height" in n for n in names), "no chain height metric"
    assert any("mempool" in n for n in names), "no mempool size metric"
    assert any("transactions" in n for n in names), "no transactions metric"
    assert any(n.startswith("process_") for n in names), "no process metrics"

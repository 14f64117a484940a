"""Read endpoints of node-api.md against a real node process."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.node_process import NodeProcess
from tests.helpers.wallet import fund, wait_confirmed


def assert_error(response: httpx.Response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def test_health(client: httpx.Client) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["role"] == "producer"
    assert isinstance(body["height"], int) and body["version"]


def test_network_status_has_every_field(client: httpx.Client) -> None:
    body = client.get("/api/v1/network/status").json()
    assert set(body) >= {
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
    }
    assert body["chainId"] == "chaindeck-devnet" and body["peers"] == []


def test_genesis_funds_the_dev_wallets(client: httpx.Client) -> None:
    genesis = client.get("/api/v1/blocks/0").json()
    assert genesis["height"] == 0 and genesis["txCount"] == 10
    labels = [tx["toLabel"] for tx in genesis["transactions"]]
    assert labels == [f"wallet{i}" for i in range(1, 11)]
    assert all(tx["amount"] == 1000 for tx in genesis["transactions"])
    balance = client.get("/api/v1/wallets/wallet10/balance").json()
    assert balance["label"] == "wallet10" and balance["balance"] >= 1000


def test_block_list_newest_first_and_paged(client: httpx.Client, auth: dict) -> None:
    client.post("/api/v1/mine", json={"blocks": 3}, headers=auth).raise_for_status()
    head = client.get("/api/v1/network/status").json()["blockHeight"]
    page = client.get("/api/v1/blocks", params={"limit": 2}).json()
    assert [b["height"] for b in page] == [head, head - 1]
    assert "transactions" not in page[0]
    second = client.get("/api/v1/blocks", params={"limit": 2, "offset": 2}).json()
    assert [b["height"] for b in second] == [head - 2, head - 3]
    assert client.get("/api/v1/blocks", params={"offset": head + 5}).json() == []
    for block in page:
        assert set(block) == {
            "height",
            "hash",
            "previousHash",
            "timestamp",
            "producer",
            "merkleRoot",
            "difficulty",
            "nonce",
            "txCount",
            "size",
            "signature",
        }
    assert page[0]["previousHash"] == page[1]["hash"]


def test_block_by_height_and_hash_agree(client: httpx.Client) -> None:
    by_height = client.get("/api/v1/blocks/1").json()
    by_hash = client.get(f"/api/v1/blocks/{by_height['hash']}").json()
    assert by_height == by_hash and "transactions" in by_hash


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/blocks/999999", 404),
        ("/api/v1/blocks/0x" + "ab" * 32, 404),
        ("/api/v1/blocks/abc", 400),
        ("/api/v1/blocks/-1", 400),
        ("/api/v1/blocks/0xABCD", 400),
        ("/api/v1/blocks/" + "9" * 40, 400),
        ("/api/v1/transactions/0x" + "ab" * 32, 404),
        ("/api/v1/transactions/nothash", 400),
        ("/api/v1/wallets/0x123/balance", 400),
        ("/api/v1/wallets/nobody/balance", 404),
        ("/api/v1/wallets/nobody/transactions", 404),
        ("/api/v1/nothing", 404),
    ],
)
def test_unknown_and_malformed_references(client: httpx.Client, path: str, status: int) -> None:
    assert_error(client.get(path), status)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "1.5"}, "offset"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/v1/blocks", "/api/v1/transactions", "/api/v1/wallets/wallet1/transactions"]
)
def test_pagination_limits(client: httpx.Client, path: str, params: dict, field: str) -> None:
    assert_error(client.get(path, params=params), 400, field)


def test_range_is_oldest_first_with_full_blocks(client: httpx.Client, auth: dict) -> None:
    client.post("/api/v1/mine", json={"blocks": 2}, headers=auth).raise_for_status()  # 0..2 exist
    blocks = client.get("/api/v1/blocks/range", params={"from": 0, "to": 2}).json()
    assert [b["height"] for b in blocks] == [0, 1, 2]
    assert all("transactions" in b for b in blocks)
    assert blocks[0]["transactions"][0]["status"] == "confirmed"


def test_a_range_of_transaction_hashes_matches_the_full_blocks(
    client: httpx.Client, token: str
) -> None:
    """`txs=hashes` (ChainDeck's addition): each block's height, hash and its transactions'
    hashes in order, nothing else, for clients that only match transactions."""
    tx_hash = fund(client, token, "0x" + "ab" * 20, 1.5)
    height = wait_confirmed(client, tx_hash)["blockHeight"]
    params = {"from": 0, "to": height}
    full = client.get("/api/v1/blocks/range", params=params).json()
    light = client.get("/api/v1/blocks/range", params={**params, "txs": "hashes"}).json()
    assert light == [
        {
            "height": b["height"],
            "hash": b["hash"],
            "transactions": [t["hash"] for t in b["transactions"]],
        }
        for b in full
    ]
    assert tx_hash in light[-1]["transactions"]
    assert_error(client.get("/api/v1/blocks/range", params={**params, "txs": "some"}), 400, "txs")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": 5, "to": 4}, "to"),
        ({"from": 0, "to": 500}, "to"),
        ({"from": 0}, "to"),
        ({"to": 3}, "from"),
        ({"from": "x", "to": 3}, "from"),
    ],
)
def test_range_limits(client: httpx.Client, params: dict, field: str) -> None:
    assert_error(client.get("/api/v1/blocks/range", params=params), 400, field)


def test_range_past_the_head_returns_what_exists(client: httpx.Client) -> None:
    head = client.get("/api/v1/network/status").json()["blockHeight"]
    blocks = client.get("/api/v1/blocks/range", params={"from": head, "to": head + 10}).json()
    assert [b["height"] for b in blocks] == [head]


def test_address_never_seen_has_zero_balance(client: httpx.Client) -> None:
    address = "0x" + "42" * 20
    body = client.get(f"/api/v1/wallets/{address}/balance").json()
    assert body == {"address": address, "balance": 0, "nonce": 0, "pendingNonce": 0}
    assert client.get(f"/api/v1/wallets/{address}/transactions").json() == []


def test_transaction_lists_and_history(node: NodeProcess, client: httpx.Client, token: str) -> None:
    target = "0x" + "43" * 20
    first = fund(client, token, target, 1.25, source="wallet3")
    second = fund(client, token, target, 2, source="wallet3")
    confirmed = wait_confirmed(client, second)
    assert confirmed["blockHash"] and confirmed["confirmations"] >= 1
    history = client.get(f"/api/v1/wallets/{target}/transactions").json()
    assert [tx["hash"] for tx in history] == [second, first]
    assert history[0]["fromLabel"] == "wallet3" and "toLabel" not in history[0]
    sent = client.get("/api/v1/wallets/wallet3/transactions", params={"limit": 1}).json()
    assert [tx["hash"] for tx in sent] == [second]
    recent = client.get("/api/v1/transactions", params={"limit": 100}).json()
    hashes = [tx["hash"] for tx in recent]
    assert hashes.index(second) < hashes.index(first)
    assert client.get(f"/api/v1/wallets/{target}/balance").json()["balance"] == 3.25


def test_metrics_are_prometheus_text(client: httpx.Client) -> None:
    client.get("/health")
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "chaindeck_block_height",
        "chaindeck_transactions_total",
        "chaindeck_mempool_size",
        "chaindeck_block_time_seconds_bucket",
        'chaindeck_http_request_duration_seconds_count{method="GET",route="/health"',
        "chaindeck_websocket_clients",
        "process_resident_memory_bytes",
    ):
        assert name in text, name


def test_openapi_schema_lists_every_endpoint(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/health",
        "/metrics",
        "/api/v1/auth/login",
        "/api/v1/blocks",
        "/api/v1/blocks/{ref}",
        "/api/v1/blocks/range",
        "/api/v1/transactions",
        "/api/v1/transactions/raw",
        "/api/v1/transactions/batch",
        "/api/v1/transactions/{tx_hash}",
        "/api/v1/wallets",
        "/api/v1/wallets/{ref}/balance",
        "/api/v1/wallets/{ref}/transactions",
        "/api/v1/network/status",
        "/api/v1/mine",
    ):
        assert path in paths, path


def test_wrong_method_is_405(client: httpx.Client) -> None:
    assert_error(client.delete("/api/v1/blocks"), 405)
    assert_error(client.put("/api/v1/transactions/raw", json={}), 405)

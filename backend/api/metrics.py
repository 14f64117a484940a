"""Prometheus metrics of one node, in a registry of its own."""

from __future__ import annotations

import time
from typing import Any

import psutil
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from backend.chain.block import Block
from backend.chain.transaction import Transaction
from backend.node.node import Node

BLOCK_TIME_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)
HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


class NodeMetrics:
    def __init__(self, node: Node) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        r = self.registry
        self.height = Gauge("chaindeck_block_height", "Height of the chain head", registry=r)
        self.transactions = Counter(
            "chaindeck_transactions", "Transactions included in blocks", registry=r
        )
        self.accepted = Counter(
            "chaindeck_transactions_accepted", "Transactions admitted to the mempool", registry=r
        )
        self.mempool = Gauge("chaindeck_mempool_size", "Transactions waiting", registry=r)
        self.block_time = Histogram(
            "chaindeck_block_time_seconds",
            "Time between consecutive blocks",
            buckets=BLOCK_TIME_BUCKETS,
            registry=r,
        )
        self.http = Histogram(
            "chaindeck_http_request_duration_seconds",
            "HTTP request duration by route",
            ["method", "route", "status"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.ws_clients = Gauge("chaindeck_websocket_clients", "Open WebSocket clients", registry=r)
        # A watcher on another machine judges process_resident_memory_bytes against this.
        host_memory = Gauge(
            "chaindeck_host_memory_total_bytes", "Physical memory of the node's host", registry=r
        )
        host_memory.set(psutil.virtual_memory().total)
        self._node = node
        self.height.set(node.head.height)
        self.transactions.inc(node.transactions_total)
        self._last_block = node.head.timestamp
        self.mempool.set_function(lambda: len(node.mempool))
        node.block_listeners.append(self._on_block)
        node.tx_listeners.append(self._on_transactions)

    def _on_block(self, summary: dict[str, Any], block: Block) -> None:
        self.height.set(block.height)
        self.transactions.inc(block.tx_count)
        if self._last_block:
            self.block_time.observe(max(0, block.timestamp - self._last_block) / 1000)
        self._last_block = block.timestamp

    def _on_transactions(self, txs: list[Transaction]) -> None:
        self.accepted.inc(len(txs))

    def observe_request(self, method: str, route: str, status: int, started: float) -> None:
        self.http.labels(method, route, str(status)).observe(time.perf_counter() - started)

    def render(self) -> bytes:
        return generate_latest(self.registry)

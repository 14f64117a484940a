"""What the node's limits cost an attacker and save the node (node-api.md, "Limits and safety").

    python tests/bench/node_floods.py [--clients 1000] [--txs 20000] [--repeat 3]

On a fresh node each:
1. batch inclusion rate (batches of 100 on 4 connections) with no WebSocket client, then with
   --clients WebSocket clients that never read a byte (medians of --repeat runs): the ratio;
2. node RSS before and after 64 MiB of request headers sent on 8 connections;
3. the largest /blocks/range answer on a chain of big blocks, and node RSS with 8 range reads
   at once.
Everything goes to 127.0.0.1 and stops by itself. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from backend.chain.crypto import Keypair
from tests.bench.node_throughput import batches, presign
from tests.bench.raw_http import RawConnection
from tests.helpers.node_process import NodeProcess
from tests.helpers.raw_ws import NonReadingClient

MIB = 1024 * 1024


def rss(node: NodeProcess) -> float:
    return psutil.Process(node.pid).memory_info().rss / MIB


def start_funded(keys: list[Keypair], *args: str) -> NodeProcess:
    node = NodeProcess(None, "--balance", "100000", *args).start()
    with httpx.Client(base_url=node.url, headers={"Authorization": f"Bearer {node.token()}"}) as c:
        for key in keys:
            c.post(
                "/api/v1/transactions", json={"from": "wallet1", "to": key.address, "amount": 500}
            ).raise_for_status()
        c.post("/api/v1/mine", json={"blocks": 1}).raise_for_status()
    return node


async def batch_rate(node: NodeProcess, bodies: list[bytes]) -> float:
    host, port = node.url.removeprefix("http://").split(":")
    conns = [await RawConnection(host, int(port)).open() for _ in range(4)]
    took = await batches(conns, bodies)
    return len(bodies) / took


def flood_ws(clients: int, txs: int) -> tuple[float, float]:
    keys = [Keypair.generate() for _ in range(8)]
    (bodies,) = presign(keys, [txs])
    rates = []
    for with_clients in (0, clients):
        node = start_funded(keys, "--max-ws-clients", str(clients + 10))
        try:
            host, port = node.url.removeprefix("http://").split(":")
            held = [NonReadingClient(host, int(port), rcvbuf=4096) for _ in range(with_clients)]
            rates.append(asyncio.run(batch_rate(node, bodies)))
            for client in held:
                client.sock.close()
        finally:
            node.stop()
    return rates[0], rates[1]


def flood_heads(node: NodeProcess) -> tuple[float, float, int]:
    host, port = node.url.removeprefix("http://").split(":")
    before = rss(node)
    refused = 0
    socks = []
    for _ in range(8):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
        socks.append(sock)
    chunk = b"a" * MIB
    for sock in socks:
        try:
            for _ in range(8):
                sock.sendall(chunk)
        except OSError:
            refused += 1
    peak = rss(node)
    for sock in socks:
        sock.close()
    return before, peak, refused


def range_reads(txs: int) -> tuple[int, float, float]:
    keys = [Keypair.generate() for _ in range(8)]
    node = start_funded(keys, "--block-time", "2")  # big blocks: 2 s of batches each
    try:
        (bodies,) = presign(keys, [txs])
        with httpx.Client(base_url=node.url, timeout=60) as client:
            for i in range(0, len(bodies), 1000):  # in nonce order, one batch at a time
                client.post(
                    "/api/v1/transactions/batch",
                    content=b"[" + b",".join(bodies[i : i + 1000]) + b"]",
                    headers={"Content-Type": "application/json"},
                ).raise_for_status()
        time.sleep(2.5)
        top = httpx.get(node.url + "/api/v1/network/status").json()["blockHeight"]
        one = httpx.get(
            node.url + "/api/v1/blocks/range", params={"from": 0, "to": top}, timeout=60
        )
        before = rss(node)

        async def eight() -> None:
            async with httpx.AsyncClient(base_url=node.url, timeout=120) as client:
                await asyncio.gather(
                    *(
                        client.get("/api/v1/blocks/range", params={"from": 0, "to": top})
                        for _ in range(8)
                    )
                )

        asyncio.run(eight())
        return len(one.content), before, rss(node)
    finally:
        node.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--txs", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    pairs = [flood_ws(args.clients, args.txs) for _ in range(args.repeat)]
    quiet = statistics.median(p[0] for p in pairs)
    loud = statistics.median(p[1] for p in pairs)
    print(f"batches, no WebSocket client: {quiet:.0f} tx/s (runs {[round(p[0]) for p in pairs]})")
    print(
        f"batches, {args.clients} clients that never read: {loud:.0f} tx/s "
        f"(runs {[round(p[1]) for p in pairs]}); ratio {loud / quiet:.2f}"
    )

    with NodeProcess(None) as node:
        before, peak, refused = flood_heads(node)
        print(
            f"64 MiB of headers on 8 connections: RSS {before:.0f} -> {peak:.0f} MiB, "
            f"{refused} of 8 refused part-way"
        )

    size, before, after = range_reads(40_000)
    print(
        f"largest /blocks/range answer: {size / MIB:.1f} MiB; "
        f"8 at once: RSS {before:.0f} -> {after:.0f} MiB"
    )


if __name__ == "__main__":
    main()

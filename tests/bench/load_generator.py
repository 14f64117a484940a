"""Load generator benchmark (not a test): prints figures, asserts nothing.

    .venv/bin/python tests/bench/load_generator.py [--seconds 20] [--rounds 1]

On a fresh node each time, alternating within a round:
1. the raw keep-alive client of the node benchmark (32 connections, pre-signed transfers, one
   sender a connection): transfers included a second, submission to the last inclusion;
2. `chaindeck load --scenario transfers --users 32` with 1 and then 2 Locust workers: its
   `included_tps` over the hold (signing, inclusion tracking and figures included);
3. the generator's ceiling against `/health`: the raw client's requests a second, then Locust's
   (a one-task locustfile, 32 users, 1 and 2 workers).
Prints each figure, the ratios to the raw client, and the generator's own CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from backend.chain.crypto import Keypair  # noqa: E402
from tests.bench.node_throughput import (  # noqa: E402
    INFLIGHT,
    client_ceiling,
    in_flight,
    presign,
    wait_included,
)
from tests.bench.raw_http import RawConnection  # noqa: E402
from tests.helpers.node_process import OPERATOR, NodeProcess  # noqa: E402

USERS = 32
HEALTH_LOCUSTFILE = """
from locust import FastHttpUser, constant, task

class Health(FastHttpUser):
    wait_time = constant(0)

    @task
    def health(self):
        self.client.get("/health")
"""


def fresh_node() -> NodeProcess:
    return NodeProcess(None, "--accounts", "10", "--balance", "100000").start()


async def raw_inclusion(count: int) -> float:
    """Transfers included a second by the raw client (the node benchmark's (b))."""
    keys = [Keypair(os.urandom(32)) for _ in range(INFLIGHT)]
    (bodies,) = presign(keys, [count])
    node = fresh_node()
    try:
        with httpx.Client(
            base_url=node.url, headers={"Authorization": f"Bearer {node.token()}"}
        ) as client:
            for key in keys:
                client.post(
                    "/api/v1/transactions",
                    json={"from": "wallet1", "to": key.address, "amount": 100},
                ).raise_for_status()
            client.post("/api/v1/mine", json={"blocks": 1}).raise_for_status()
        host, port = node.url.removeprefix("http://").split(":")
        conns = [await RawConnection(host, int(port)).open() for _ in range(INFLIGHT)]
        loop = asyncio.get_running_loop()
        started = loop.time()
        await in_flight(conns, bodies)
        expected = {k.address: count // INFLIGHT for k in keys}
        await wait_included(conns[0], expected)
        took = loop.time() - started
        for conn in conns:
            await conn.close()
        return count / took
    finally:
        node.stop()


async def raw_ceiling() -> float:
    node = fresh_node()
    try:
        host, port = node.url.removeprefix("http://").split(":")
        rps, _cpu = await client_ceiling(host, int(port), seconds=5.0)
        return rps
    finally:
        node.stop()


def chaindeck_load(seconds: float, workers: int, scenario: str = "transfers") -> dict:
    node = fresh_node()
    try:
        command = [sys.executable, "-m", "app", "load", node.url, "--scenario", scenario]
        command += ["--users", str(USERS), "--duration", f"{seconds}s"]
        command += ["--workers", str(workers), "--json"]
        run = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={
                **os.environ,
                "CHAINDECK_TARGET_USER": OPERATOR[0],
                "CHAINDECK_TARGET_PASSWORD": OPERATOR[1],
            },
            cwd=ROOT,
            timeout=seconds + 180,
        )
        if run.returncode not in (0, 1):
            raise RuntimeError(run.stderr)
        return json.loads(run.stdout.splitlines()[-1])
    finally:
        node.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="each load run's hold")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    health = Path(tempfile.mkdtemp()) / "health.py"
    health.write_text(HEALTH_LOCUSTFILE)
    figures: dict[str, list[float]] = {}

    def keep(name: str, value: float, extra: str = "") -> None:
        figures.setdefault(name, []).append(value)
        print(f"  {name:<40} {value:>9,.0f}{extra}", flush=True)

    for round_ in range(1, args.rounds + 1):
        print(f"round {round_}", flush=True)
        keep("raw client: included tx/s", asyncio.run(raw_inclusion(20_000)))
        for workers in (1, 2):
            summary = chaindeck_load(args.seconds, workers)
            tx = summary["transactions"]
            cpu = summary["generator"]["cpu_pct_max"]
            keep(
                f"chaindeck load, {workers} worker(s): included/s",
                tx["included_tps"],
                f"  (sent {tx['sent']:,}, included {tx['included']:,}, p95 "
                f"{summary['latency_ms']['p95']} ms, generator CPU max {cpu:.0f} %)",
            )
        keep("raw client: /health req/s", asyncio.run(raw_ceiling()))
        for workers in (1, 2):
            summary = chaindeck_load(args.seconds / 2, workers, str(health))
            keep(f"Locust /health, {workers} worker(s): req/s", summary["rps"])

    print("medians and ratios to the raw client:")
    med = {name: statistics.median(values) for name, values in figures.items()}
    raw = figures["raw client: included tx/s"]
    for workers in (1, 2):
        name = f"chaindeck load, {workers} worker(s): included/s"
        ratio = med[name] / med["raw client: included tx/s"]
        # The raw client's figure drifts by half from minute to minute on a shared machine:
        # each round's load runs against the raw run just before them cancels that drift.
        rounds = [load / r for load, r in zip(figures[name], raw, strict=True)]
        print(
            f"  inclusion, {workers} worker(s): {ratio:.2f}x the raw client (target >= 0.8x); "
            f"round by round {', '.join(f'{x:.2f}' for x in rounds)}: median "
            f"{statistics.median(rounds):.2f}x"
        )
    for workers in (1, 2):
        name = f"Locust /health, {workers} worker(s): req/s"
        ratio = med[name] / med["raw client: /health req/s"]
        print(f"  /health ceiling, {workers} worker(s): {ratio:.2f}x the raw client")


if __name__ == "__main__":
    main()

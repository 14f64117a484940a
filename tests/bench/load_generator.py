"""Load generator benchmark (not a test): prints figures, asserts nothing.

    .venv/bin/python tests/bench/load_generator.py [--seconds 20] [--rounds 1]

On a fresh node each time:
1. the raw keep-alive client of the node benchmark (32 connections, pre-signed transfers, one
   sender a connection) sending for as long as a load run holds: transfers included a second,
   first submission to the last inclusion. It runs before and after every load run;
2. `chaindeck load --scenario transfers --users 32` with 1 and then 2 Locust workers: its
   `included_tps` over the hold (signing, inclusion tracking and figures included), set against
   the mean of the raw runs on either side of it;
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
    lanes_until,
    presign,
    wait_included,
)
from tests.bench.raw_http import RawConnection  # noqa: E402
from tests.helpers.node_process import OPERATOR, NodeProcess  # noqa: E402

USERS = 32
RAW_CAP = 10_000  # transfers a second the raw client is pre-signed for
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


async def raw_inclusion(seconds: float, keys: list[Keypair], bodies: list[bytes]) -> float:
    """Transfers included a second by the raw client (the node benchmark's (b)) sending for as
    long as a load run holds: from its first send to its last transfer's inclusion."""
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
        sent = await lanes_until(conns, bodies, started + seconds)
        if sum(sent) == len(bodies):
            print("  (the raw client ran out of pre-signed transfers: raise RAW_CAP)")
        await wait_included(conns[0], {k.address: n for k, n in zip(keys, sent, strict=True)})
        took = loop.time() - started
        for conn in conns:
            await conn.close()
        return sum(sent) / took
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
        env = {
            **os.environ,
            "CHAINDECK_TARGET_USER": OPERATOR[0],
            "CHAINDECK_TARGET_PASSWORD": OPERATOR[1],
        }
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
        ) as run:
            try:
                stdout, stderr = run.communicate(timeout=seconds + 180)
            except KeyboardInterrupt:
                # Ctrl+C reached the run too: it cancels and removes its run folder, which
                # holds the senders' keys (subprocess.run would kill it a quarter second on).
                run.wait(timeout=60)
                raise
            except subprocess.TimeoutExpired:
                run.terminate()
                raise
        if run.returncode not in (0, 1):
            raise RuntimeError(stderr)
        return json.loads(stdout.splitlines()[-1])
    finally:
        node.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="each load run's hold")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chaindeck-bench-") as folder:
        health = Path(folder) / "health.py"
        health.write_text(HEALTH_LOCUSTFILE)
        try:
            measure(args, health)
        except KeyboardInterrupt:
            print("interrupted: no figures", file=sys.stderr)
            raise SystemExit(130) from None


def measure(args: argparse.Namespace, health: Path) -> None:
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    figures: dict[str, list[float]] = {}

    def keep(name: str, value: float, extra: str = "") -> None:
        figures.setdefault(name, []).append(value)
        print(f"  {name:<40} {value:>9,.0f}{extra}", flush=True)

    keys = [Keypair(bytes([i + 1]) * 32) for i in range(INFLIGHT)]
    count = int(args.seconds * RAW_CAP)
    print(f"pre-signing {count:,} transfers for the raw client", flush=True)
    (bodies,) = presign(keys, [count])
    load_names = [f"chaindeck load, {w} worker(s): included/s" for w in (1, 2)]
    # The raw client's figure drifts by half from minute to minute on a shared machine, so it
    # runs before and after every load run, and each load run is set against the mean of its
    # two neighbours: R L1 R L2 R L1 R L2 R ...
    beside: dict[str, list[float]] = {name: [] for name in load_names}

    def raw() -> float:
        return asyncio.run(raw_inclusion(args.seconds, keys, bodies))

    keep("raw client: included tx/s", raw())
    for round_ in range(1, args.rounds + 1):
        print(f"round {round_}", flush=True)
        for workers, name in zip((1, 2), load_names, strict=True):
            summary = chaindeck_load(args.seconds, workers)
            tx = summary["transactions"]
            cpu = summary["generator"]["cpu_pct_max"]
            keep(
                name,
                tx["included_tps"],
                f"  (sent {tx['sent']:,}, included {tx['included']:,}, p95 "
                f"{summary['latency_ms']['p95']} ms, generator CPU max {cpu:.0f} %)",
            )
            before = figures["raw client: included tx/s"][-1]
            keep("raw client: included tx/s", raw())
            beside[name].append(
                tx["included_tps"] / ((before + figures["raw client: included tx/s"][-1]) / 2)
            )
        keep("raw client: /health req/s", asyncio.run(raw_ceiling()))
        for workers in (1, 2):
            summary = chaindeck_load(args.seconds / 2, workers, str(health))
            keep(f"Locust /health, {workers} worker(s): req/s", summary["rps"])

    print("medians and ratios to the raw client:")
    med = {name: statistics.median(values) for name, values in figures.items()}
    for workers, name in zip((1, 2), load_names, strict=True):
        ratio = med[name] / med["raw client: included tx/s"]
        print(
            f"  inclusion, {workers} worker(s): {ratio:.2f}x the raw client's median; against "
            f"the raw runs on either side {', '.join(f'{x:.2f}' for x in beside[name])}: "
            f"median {statistics.median(beside[name]):.2f}x (target >= 0.8x)"
        )
    for workers in (1, 2):
        name = f"Locust /health, {workers} worker(s): req/s"
        ratio = med[name] / med["raw client: /health req/s"]
        print(f"  /health ceiling, {workers} worker(s): {ratio:.2f}x the raw client")


if __name__ == "__main__":
    main()

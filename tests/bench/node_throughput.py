"""Node throughput benchmark (not a test): prints figures, asserts nothing.

    make bench            # or: .venv/bin/python tests/bench/node_throughput.py [--repeat 3]

Pre-signs transfers, then submits them to a fresh `chaindeck node` (a) one by one, (b) 32 in
flight, (c) in batches of 100, measuring submissions/s and inclusion tx/s (until every one is in
a block), read latency of /api/v1/network/status and /api/v1/blocks under that load, and the
node's RSS. The same 32-in-flight client runs against anvil (1 s block time) when it is installed
(`make anvil`), and the ratios are printed. The client's own ceiling is measured first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backend.chain.crypto import Keypair  # noqa: E402
from backend.chain.transaction import signing_bytes  # noqa: E402
from tests.bench.raw_http import RawConnection  # noqa: E402
from tests.helpers.node_process import NodeProcess  # noqa: E402

CHAIN_ID = "chaindeck-devnet"
SINK = "0x" + "5e" * 20
FEE = 10_000
SENDERS = 64
INFLIGHT = 32


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# --- signing -------------------------------------------------------------------------------------


def presign(keys: list[Keypair], counts: list[int]) -> list[list[bytes]]:
    """One JSON body per transfer, per phase; sender i's nonces run on across phases."""
    nonces = [0] * len(keys)
    phases: list[list[bytes]] = []
    for count in counts:
        bodies = []
        for n in range(count):
            i = n % len(keys)
            key = keys[i]
            message = signing_bytes(CHAIN_ID, key.address, SINK, 1, FEE, nonces[i], "")
            bodies.append(
                orjson.dumps(
                    {
                        "chainId": CHAIN_ID,
                        "from": key.address,
                        "to": SINK,
                        "amount": 0.00000001,
                        "fee": FEE / 100_000_000,
                        "nonce": nonces[i],
                        "memo": "",
                        "publicKey": key.public_key.hex(),
                        "signature": key.sign(message).hex(),
                    }
                )
            )
            nonces[i] += 1
        phases.append(bodies)
    return phases


# --- load ----------------------------------------------------------------------------------------


@dataclass
class PhaseResult:
    name: str
    count: int
    submit_s: float
    include_s: float
    reads: list[float] = field(default_factory=list)

    @property
    def submissions_per_s(self) -> float:
        return self.count / self.submit_s

    @property
    def tx_per_s(self) -> float:
        return self.count / self.include_s


def with_helpers(process: psutil.Process) -> list[psutil.Process]:
    """The node and its helper processes (database writer, signature verifiers, tracker)."""
    return [process, *process.children(recursive=True)]


def tree_rss(process: psutil.Process) -> tuple[int, int]:
    """RSS of the node's own process, and of it with its helpers: the second overcounts the
    shared libraries they all map, so it is the ceiling."""
    own = process.memory_info().rss
    total = own
    for helper in with_helpers(process)[1:]:
        try:
            total += helper.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return own, total


def tree_pss(process: psutil.Process) -> int:
    """Proportional set size of the node and its helpers: each shared page is split between the
    processes that map it, so the sum counts every page once (Linux; RSS elsewhere)."""
    total = 0
    for p in with_helpers(process):
        try:
            info = p.memory_full_info()
        except psutil.NoSuchProcess:
            continue
        total += getattr(info, "pss", info.rss)
    return total


class Sampler:
    """Node RSS every 100 ms, and read latencies on a connection of their own during load."""

    def __init__(self, host: str, port: int, pid: int | None) -> None:
        self.host, self.port = host, port
        self.process = psutil.Process(pid) if pid else None
        self.peak_rss = 0
        self.peak_tree_rss = 0
        self.reads: list[float] = []
        self.reading = False

    async def run(self, stop: asyncio.Event) -> None:
        conn = await RawConnection(self.host, self.port).open()
        paths = ["/api/v1/network/status", "/api/v1/blocks?limit=10"]
        n = 0
        next_rss = 0.0
        try:
            while not stop.is_set():
                if self.process and time.monotonic() >= next_rss:
                    own, total = tree_rss(self.process)
                    self.peak_rss = max(self.peak_rss, own)
                    self.peak_tree_rss = max(self.peak_tree_rss, total)
                    next_rss = time.monotonic() + 0.1
                if self.reading:
                    status, _, took = await conn.timed("GET", paths[n % 2])
                    assert status == 200
                    self.reads.append(took)
                    n += 1
                await asyncio.sleep(0.01)
        finally:
            await conn.close()


async def wait_included(conn: RawConnection, expected_nonces: dict[str, int]) -> None:
    """Until every sender's confirmed nonce reaches what was sent (all transfers in blocks)."""
    while True:
        _status, body = await conn.request("GET", "/api/v1/network/status")
        if orjson.loads(body)["mempoolSize"] == 0:
            break
        await asyncio.sleep(0.005)
    for address, nonce in expected_nonces.items():
        _, body = await conn.request("GET", f"/api/v1/wallets/{address}/balance")
        got = orjson.loads(body)["nonce"]
        if got != nonce:
            raise RuntimeError(f"{address} confirmed nonce {got}, expected {nonce}")


async def one_by_one(conn: RawConnection, bodies: list[bytes]) -> float:
    started = time.perf_counter()
    for body in bodies:
        status, data = await conn.request("POST", "/api/v1/transactions/raw", body)
        if status != 201:
            raise RuntimeError(f"{status} {data[:200]!r}")
    return time.perf_counter() - started


async def in_flight(conns: list[RawConnection], bodies: list[bytes]) -> float:
    """Each connection sends its own sender's transfers in order (so nonces arrive in order)."""
    started = time.perf_counter()
    await lanes_until(conns, bodies, math.inf)
    return time.perf_counter() - started


async def lanes_until(
    conns: list[RawConnection], bodies: list[bytes], deadline: float
) -> list[int]:
    """Connection i sends bodies i, i + n, ... in order until they run out or the loop's clock
    passes `deadline`; how many each sent."""
    loop = asyncio.get_running_loop()

    async def lane(conn: RawConnection, items: list[bytes]) -> int:
        sent = 0
        for body in items:
            if loop.time() >= deadline:
                break
            status, data = await conn.request("POST", "/api/v1/transactions/raw", body)
            if status != 201:
                raise RuntimeError(f"{status} {data[:200]!r}")
            sent += 1
        return sent

    lanes = [bodies[i :: len(conns)] for i in range(len(conns))]
    return await asyncio.gather(*(lane(c, items) for c, items in zip(conns, lanes, strict=True)))


async def batches(conns: list[RawConnection], bodies: list[bytes], size: int = 100) -> float:
    chunks = [b"[" + b",".join(bodies[i : i + size]) + b"]" for i in range(0, len(bodies), size)]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)

    async def worker(conn: RawConnection) -> None:
        while not queue.empty():
            chunk = queue.get_nowait()
            status, data = await conn.request("POST", "/api/v1/transactions/batch", chunk)
            result = orjson.loads(data)
            if status != 200 or result["rejected"]:
                raise RuntimeError(f"{status} {data[:300]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    return time.perf_counter() - started


async def client_ceiling(host: str, port: int, seconds: float = 3.0) -> tuple[float, float]:
    """Requests/s and client CPU per request against the cheapest endpoint (/health)."""
    conns = [await RawConnection(host, port).open() for _ in range(INFLIGHT)]
    done = 0
    stop_at = time.perf_counter() + seconds

    async def lane(conn: RawConnection) -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await conn.request("GET", "/health")
            done += 1

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(lane(c) for c in conns))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    for c in conns:
        await c.close()
    return done / wall, cpu / done


async def run_node_once(phases: list[list[bytes]], keys: list[Keypair]) -> dict[str, float]:
    node = NodeProcess(None, "--accounts", "10", "--balance", "100000").start()
    try:
        host, port = node.url.removeprefix("http://").split(":")
        port_n = int(port)
        token = node.token()
        # fund the senders with node-signed transfers
        import httpx

        with httpx.Client(base_url=node.url, headers={"Authorization": f"Bearer {token}"}) as c:
            for key in keys:
                r = c.post(
                    "/api/v1/transactions",
                    json={"from": "wallet1", "to": key.address, "amount": 100},
                )
                r.raise_for_status()
            c.post("/api/v1/mine", json={"blocks": 1}).raise_for_status()
        ceiling, client_cpu = await client_ceiling(host, port_n)
        sampler = Sampler(host, port_n, node.pid)
        stop = asyncio.Event()
        sampling = asyncio.create_task(sampler.run(stop))
        control = await RawConnection(host, port_n).open()
        conns = [await RawConnection(host, port_n).open() for _ in range(INFLIGHT)]
        results: list[PhaseResult] = []
        sent: dict[str, int] = {}
        names = ["one by one", f"{INFLIGHT} in flight", "batches of 100"]
        for name, bodies in zip(names, phases, strict=True):
            if not bodies:
                continue
            for n in range(len(bodies)):
                address = keys[n % len(keys)].address
                sent[address] = sent.get(address, 0) + 1
            sampler.reads = []
            sampler.reading = name != "one by one"
            started = time.perf_counter()
            if name == "one by one":
                submit_s = await one_by_one(conns[0], bodies)
            elif name.endswith("in flight"):
                submit_s = await in_flight(conns, bodies)
            else:
                submit_s = await batches(conns[:8], bodies)
            await wait_included(control, sent)
            include_s = time.perf_counter() - started
            sampler.reading = False
            results.append(PhaseResult(name, len(bodies), submit_s, include_s, sampler.reads))
        node_process = psutil.Process(node.pid)
        rss_after, tree_after = tree_rss(node_process)
        pss_after = tree_pss(node_process)
        stop.set()
        await sampling
        for c in [*conns, control]:
            await c.close()
    finally:
        node.stop()
    figures: dict[str, float] = {
        "client ceiling req/s (/health, 32 conns)": ceiling,
        "client CPU per request (us)": client_cpu * 1e6,
    }
    for r in results:
        figures[f"{r.name}: submissions/s"] = r.submissions_per_s
        figures[f"{r.name}: inclusion tx/s"] = r.tx_per_s
        if r.reads:
            for q in (50, 95, 99):
                figures[f"{r.name}: read p{q} (ms)"] = pct(r.reads, q) * 1000
    figures["node peak RSS (MB)"] = sampler.peak_rss / 2**20
    total = sum(len(p) for p in phases)
    figures[f"node RSS after {total:,} tx (MB)"] = rss_after / 2**20
    figures["node peak RSS with its helper processes (MB)"] = sampler.peak_tree_rss / 2**20
    figures[f"node RSS with its helper processes after {total:,} tx (MB)"] = tree_after / 2**20
    figures[f"node PSS with its helper processes after {total:,} tx (MB)"] = pss_after / 2**20
    return figures


# --- anvil ---------------------------------------------------------------------------------------

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"


def find_anvil() -> str | None:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "anvil"
    return str(local) if local.exists() else shutil.which("anvil")


def anvil_presign(count: int) -> tuple[list[bytes], dict[str, int]]:
    from eth_account import Account
    from eth_utils import to_checksum_address

    Account.enable_unaudited_hdwallet_features()
    accounts = [
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        for i in range(INFLIGHT)
    ]
    nonces = [0] * INFLIGHT
    bodies = []
    for n in range(count):
        i = n % INFLIGHT
        signed = accounts[i].sign_transaction(
            {
                "to": to_checksum_address("0x" + "5e" * 20),
                "value": 1,
                "gas": 21_000,
                "gasPrice": 200 * 10**9,  # above a base fee that rises on full blocks
                "nonce": nonces[i],
                "chainId": 31337,
            }
        )
        nonces[i] += 1
        raw = getattr(signed, "raw_transaction", None) or signed.rawTransaction
        bodies.append(
            orjson.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": n,
                    "method": "eth_sendRawTransaction",
                    "params": ["0x" + raw.hex().removeprefix("0x")],
                }
            )
        )
    return bodies, {a.address: nonces[i] for i, a in enumerate(accounts)}


async def run_anvil_once(anvil: str, bodies: list[bytes], expected: dict[str, int]) -> dict:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            anvil,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--block-time",
            "1",
            "--accounts",
            str(INFLIGHT),
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = await RawConnection("127.0.0.1", port).open()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        call = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"})
        await conn.request("POST", "/", call)
        conns = [await RawConnection("127.0.0.1", port).open() for _ in range(INFLIGHT)]
        lanes = [bodies[i::INFLIGHT] for i in range(INFLIGHT)]

        async def lane(c: RawConnection, items: list[bytes]) -> None:
            for body in items:
                status, data = await c.request("POST", "/", body)
                if status != 200 or b'"error"' in data:
                    raise RuntimeError(data[:300])

        started = time.perf_counter()
        await asyncio.gather(*(lane(c, items) for c, items in zip(conns, lanes, strict=True)))
        submit_s = time.perf_counter() - started
        for address, nonce in expected.items():
            while True:
                q = orjson.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "eth_getTransactionCount",
                        "params": [address, "latest"],
                    }
                )
                _, data = await conn.request("POST", "/", q)
                if int(orjson.loads(data)["result"], 16) >= nonce:
                    break
                await asyncio.sleep(0.05)
        include_s = time.perf_counter() - started
        for c in [*conns, conn]:
            await c.close()
        rss = psutil.Process(proc.pid).memory_info().rss
    finally:
        proc.terminate()
        proc.wait(10)
    return {
        "anvil 32 in flight: submissions/s": len(bodies) / submit_s,
        "anvil 32 in flight: inclusion tx/s": len(bodies) / include_s,
        "anvil RSS (MB)": rss / 2**20,
    }


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs; medians are reported (3)")
    parser.add_argument("--one", type=int, default=2_000, help="transfers sent one by one")
    parser.add_argument("--inflight", type=int, default=20_000, help="transfers 32 in flight")
    parser.add_argument("--batched", type=int, default=100_000, help="transfers in batches of 100")
    parser.add_argument("--anvil-count", type=int, default=10_000, help="transfers to anvil")
    parser.add_argument("--json", type=Path, help="also write the medians here")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    keys = [Keypair(bytes([i + 1]) * 32) for i in range(SENDERS)]
    t = time.perf_counter()
    phases = presign(keys, [args.one, args.inflight, args.batched])
    print(f"pre-signed {sum(map(len, phases)):,} transfers in {time.perf_counter() - t:.1f} s")
    runs = []
    for n in range(args.repeat):
        figures = asyncio.run(run_node_once(phases, keys))
        runs.append(figures)
        print(f"run {n + 1}: " + ", ".join(f"{k} {v:,.1f}" for k, v in figures.items()))

    anvil = find_anvil()
    anvil_runs = []
    if anvil and args.anvil_count:
        bodies, expected = anvil_presign(args.anvil_count)
        for n in range(args.repeat):
            figures = asyncio.run(run_anvil_once(anvil, bodies, expected))
            anvil_runs.append(figures)
            print(f"anvil run {n + 1}: " + ", ".join(f"{k} {v:,.1f}" for k, v in figures.items()))
    else:
        print("anvil: not installed (make anvil installs it from npm); no comparison")

    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    if anvil_runs:
        medians |= {k: statistics.median(r[k] for r in anvil_runs) for k in anvil_runs[0]}
        medians["ratio 32-in-flight inclusion, chaindeck / anvil"] = (
            medians[f"{INFLIGHT} in flight: inclusion tx/s"]
            / medians["anvil 32 in flight: inclusion tx/s"]
        )
        medians["ratio 32-in-flight submissions, chaindeck / anvil"] = (
            medians[f"{INFLIGHT} in flight: submissions/s"]
            / medians["anvil 32 in flight: submissions/s"]
        )
    print(f"\nmedians of {args.repeat} runs:")
    width = max(map(len, medians))
    for key, value in medians.items():
        print(f"  {key:<{width}}  {value:>12,.2f}")
    if args.json:
        args.json.write_text(json.dumps(medians, indent=2))


if __name__ == "__main__":
    main()

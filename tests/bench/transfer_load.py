"""A steady transfer load for the GUI benchmark, in its own process so its CPU is not the app's.

    python tests/bench/transfer_load.py URL SECONDS [--rate=TX_PER_S] SEED_HEX...

Pre-signs transfers from the given (funded) keys, submits them with one connection per key for
SECONDS (as fast as the node takes them, or paced to a total rate), then prints
{"accepted": n} on stdout.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from backend.chain.crypto import Keypair
from tests.bench.node_throughput import presign
from tests.bench.raw_http import RawConnection

PER_KEY_RATE = 120  # transfers a second a key could need at most


async def main(url: str, seconds: float, seeds: list[str], rate: float | None = None) -> None:
    keys = [Keypair(bytes.fromhex(s)) for s in seeds]
    per_key = int(PER_KEY_RATE * seconds)
    (bodies,) = presign(keys, [per_key * len(keys)])
    lanes = [bodies[i :: len(keys)] for i in range(len(keys))]
    host, port = url.removeprefix("http://").split(":")
    accepted = 0
    print("ready", flush=True)
    deadline = time.monotonic() + seconds

    async def lane(items: list[bytes]) -> None:
        nonlocal accepted
        conn = await RawConnection(host, int(port)).open()
        gap = len(keys) / rate if rate else 0.0  # seconds between this lane's sends
        next_at = time.monotonic()
        for body in items:
            if time.monotonic() >= deadline:
                break
            if gap:
                next_at += gap
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            status, data = await conn.request("POST", "/api/v1/transactions/raw", body)
            if status != 201:
                raise RuntimeError(f"{status} {data[:200]!r}")
            accepted += 1

    await asyncio.gather(*(lane(items) for items in lanes))
    print(f'{{"accepted": {accepted}}}', flush=True)


if __name__ == "__main__":
    args = sys.argv[3:]
    pace = float(args.pop(0).split("=", 1)[1]) if args and args[0].startswith("--rate=") else None
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), args, pace))

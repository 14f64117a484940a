"""How large the health history grows: 20 nodes, every metric known, a full hour of one-second
rows and seven days of one-minute rows (the store's bounds), on a real SQLite file.

    .venv/bin/python -m tests.bench.metrics_store_size [--nodes 20]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from app.health.series import METRICS, clean
from app.storage.metrics_store import KEEP_S, MINUTES, SECONDS, MetricsStore


def realistic_row(rng: random.Random) -> dict[str, float | None]:
    return {
        "cpu_pct": clean(rng.uniform(0, 200)),
        "mem_mb": clean(rng.uniform(60, 400)),
        "mem_pct": clean(rng.uniform(1, 20)),
        "latency_p50": clean(rng.uniform(0.5, 40)),
        "latency_p95": clean(rng.uniform(1, 120)),
        "block_time": clean(rng.uniform(0.5, 2)),
        "tx_per_s": clean(rng.uniform(0, 3000)),
        "mempool": float(rng.randint(0, 5000)),
        "peers": float(rng.randint(1, 20)),
        "height": float(rng.randint(0, 10_000_000)),
        "behind": float(rng.randint(0, 3)),
        "error_pct": clean(rng.choice([0.0, 0.0, 0.0, 1.67])),
        "up": 1.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    now = int(time.time())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "metrics.db"
        store = MetricsStore(path)
        started = time.perf_counter()
        for n in range(args.nodes):
            node = f"cluster member {n + 1}"
            # Oldest first, as the app writes them.
            seconds = [(node, now - s, realistic_row(rng)) for s in range(KEEP_S[SECONDS], 0, -1)]
            minutes = [(node, now - 60 * m, realistic_row(rng)) for m in range(10_080, 0, -1)]
            store.write_sync(SECONDS, seconds)
            store.write_sync(MINUTES, minutes)
        fill_s = time.perf_counter() - started
        store.prune_sync(now)
        started = time.perf_counter()
        for _ in range(20):
            store.read_sync(MINUTES, "cluster member 1", now - 7 * 86400)
        read_ms = (time.perf_counter() - started) / 20 * 1000
        used = store.size_bytes_sync()
        store.close()
        on_disk = path.stat().st_size
    rows = args.nodes * (KEEP_S[SECONDS] + 10_080)
    print(f"nodes {args.nodes}, metrics {len(METRICS)}, rows {rows:,}")
    print(f"store size: {used / 2**20:.1f} MiB in use, file {on_disk / 2**20:.1f} MiB")
    print(f"bytes per row: {used / rows:.0f}")
    print(f"fill time {fill_s:.1f} s; a 7-day read of one node: {read_ms:.1f} ms (mean of 20)")


if __name__ == "__main__":
    main()

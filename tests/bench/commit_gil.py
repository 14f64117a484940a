"""Block commits beside a busy event loop (not a test): prints figures, asserts nothing.

    .venv/bin/python tests/bench/commit_gil.py [--blocks 600] [--per-block 16]

Why the node's SQLite writer runs in a process of its own. Commits blocks of `--per-block`
transactions (32 in flight gives ~16 a block) three ways, and prints median / p95 / mean ms:

- in-process, idle: the writer connection in this process, nothing else running;
- in-process, busy: the same, with a thread that keeps the GIL busy as the node's loop does;
- writer process, busy: through ChainStore (rows over a pipe to the writer process), same thread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backend.chain.block import Block, seal  # noqa: E402
from backend.chain.crypto import ZERO_HASH, Keypair  # noqa: E402
from backend.chain.transaction import Transaction, sign_transfer  # noqa: E402
from backend.storage.chain_store import ChainStore, block_rows  # noqa: E402
from backend.storage.chain_writer import ChainWriter  # noqa: E402

CHAIN_ID = "chaindeck-devnet"
SINK = "0x" + "5e" * 20

Commit = tuple[Block, dict[str, tuple[int, int]], list[Transaction]]


def make_blocks(count: int, per_block: int) -> list[Commit]:
    keys = [Keypair.generate() for _ in range(64)]
    producer = Keypair.generate()
    nonces = [0] * len(keys)
    previous, seq = ZERO_HASH, 0
    out: list[Commit] = []
    for height in range(1, count + 1):
        txs = []
        for _ in range(per_block):
            k = seq % len(keys)
            tx = sign_transfer(keys[k], CHAIN_ID, SINK, 1, 10_000, nonces[k], "")
            nonces[k] += 1
            seq += 1
            tx.seq, tx.received = seq, 1
            txs.append(tx)
        block = seal(
            height=height,
            previous_hash=previous,
            timestamp=height,
            producer=producer,
            transactions=txs,
            difficulty=0,
        )
        previous = block.hash
        accounts = {tx.sender: (10**12, tx.nonce + 1) for tx in txs}
        accounts[SINK] = (height, 0)
        accounts[producer.address] = (height, 0)
        out.append((block, accounts, txs))
    return out


def timed(commit: Callable[[Commit], None], blocks: list[Commit], busy: bool) -> list[float]:
    stop = threading.Event()

    def spin() -> None:  # pure Python, never releases the GIL by itself: a loop under load
        n = 0
        while not stop.is_set():
            n += 1

    spinner = threading.Thread(target=spin, daemon=True)
    if busy:
        spinner.start()
    times = []
    try:
        for item in blocks:
            started = time.perf_counter()
            commit(item)
            times.append(time.perf_counter() - started)
    finally:
        stop.set()
        if busy:
            spinner.join()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=600)
    parser.add_argument("--per-block", type=int, default=16)
    args = parser.parse_args()
    sys.setswitchinterval(0.0005)  # as the node sets it (backend/server.py)
    blocks = make_blocks(args.blocks, args.per_block)
    print(f"{args.blocks} blocks of {args.per_block} transactions; ms per block commit")
    for name, busy, in_process in [
        ("in-process, idle", False, True),
        ("in-process, busy loop", True, True),
        ("writer process, busy loop", True, False),
    ]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "chain.sqlite3"
            if in_process:
                writer = ChainWriter(path, CHAIN_ID, CHAIN_ID)
                times = timed(
                    lambda c, w=writer: w.commit_block(*block_rows(c[0], c[1], c[2], None)),
                    blocks,
                    busy,
                )
                writer.close()
            else:
                store = ChainStore(path, CHAIN_ID, CHAIN_ID)
                times = timed(
                    lambda c, s=store: s.commit_block(c[0], c[1], fresh=c[2]), blocks, busy
                )
                store.close()
        times.sort()
        print(
            f"  {name:28} median {statistics.median(times) * 1e3:5.2f}  "
            f"p95 {times[int(len(times) * 0.95)] * 1e3:5.2f}  "
            f"mean {statistics.fmean(times) * 1e3:5.2f}"
        )


if __name__ == "__main__":
    main()

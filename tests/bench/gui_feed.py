"""GUI feed benchmark (not a test): prints figures, asserts nothing.

    make bench-gui     # or: .venv/bin/python tests/bench/gui_feed.py [--seconds 60] [--launches 5]
                       #     [--as-devnet]

1. Launch: the real start path (imports, QApplication, window, embedded devnet on a new chain,
   connection live), offscreen, in a fresh process each time; median of N launches.
2. Feed: the real main window (offscreen) follows a node sealing blocks as fast as a steady
   transfer load (another process, 32 connections) allows, for S seconds. Reports blocks and
   transactions shown vs produced, event-loop lag p50/p99 from a 10 ms heartbeat timer,
   repaints per second, the app's CPU, and its RSS at start and end. With --as-devnet the fleet
   also watches that node for the health history and the alerts, as it does the embedded devnet.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402

from backend.chain.crypto import Keypair  # noqa: E402
from tests.bench.loop_lag import HEARTBEAT_MS, LoopLag  # noqa: E402
from tests.bench.node_throughput import pct  # noqa: E402
from tests.helpers.node_process import OPERATOR, NodeProcess  # noqa: E402

LANES = 32

LAUNCH = """
import asyncio, json, sys, time
from pathlib import Path
import main as root
from PySide6.QtWidgets import QApplication
import qasync
app = QApplication([])
loop = qasync.QEventLoop(app); asyncio.set_event_loop(loop)
comp = root.Composition(root.Options(data_dir=Path(sys.argv[1])))
started = float(sys.argv[2])
async def go():
    comp.window.show()
    shown = time.time() - started
    await comp.start()
    while comp.node.state != "live" or not comp.window.explorer_panel.model.blocks:
        await asyncio.sleep(0.005)
    live = time.time() - started
    await comp.stop()
    print(json.dumps({"shown": shown, "live": live}))
loop.run_until_complete(go())
comp.window.deleteLater(); del comp; app.processEvents(); loop.close()
"""


def launches(count: int) -> list[dict[str, float]]:
    results = []
    for _ in range(count):
        with tempfile.TemporaryDirectory() as data_dir:
            out = subprocess.run(
                [sys.executable, "-c", LAUNCH, data_dir, repr(time.time())],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            line = [x for x in out.stdout.splitlines() if x.startswith("{")]
            if not line:
                raise RuntimeError(out.stderr[-2000:])
            results.append(json.loads(line[-1]))
    return results


def fund(node: NodeProcess, keys: list[Keypair]) -> None:
    with node.client(headers={"Authorization": f"Bearer {node.token()}"}) as client:
        for key in keys:
            client.post(
                "/api/v1/transactions", json={"from": "wallet1", "to": key.address, "amount": 1000}
            ).raise_for_status()
        client.post("/api/v1/mine", json={"blocks": 1}).raise_for_status()


def feed(seconds: float, as_devnet: bool = False) -> dict[str, float]:
    import qasync
    from PySide6.QtWidgets import QApplication

    import main as root
    from app.clients.native import NativeClient
    from app.jobs.embedded_node import ReadyNode

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    node = NodeProcess(None, "--accounts", "1", "--balance", "10000000").start()
    keys = [Keypair(os.urandom(32)) for _ in range(LANES)]
    fund(node, keys)
    me = psutil.Process()
    data_dir = tempfile.mkdtemp(prefix="chaindeck-bench-")
    comp = root.Composition(root.Options(data_dir=Path(data_dir), embedded=False))
    shown_heights: set[int] = set()
    shown_tx = 0

    def on_block(block: dict) -> None:
        nonlocal shown_tx
        if block["height"] not in shown_heights:
            shown_heights.add(block["height"])
            shown_tx += int(block.get("txCount", 0))

    comp.node.blockReceived.connect(on_block)
    heartbeat = LoopLag()
    lags = heartbeat.lags
    result: dict[str, float] = {}

    async def go() -> None:
        comp.window.show()
        comp.window.tabs.setCurrentIndex(1)  # the explorer's live list: the busiest view
        await comp.start()
        await comp.node.connect_to(NativeClient(node.url, *OPERATOR), "bench")
        if as_devnet:
            ready = ReadyNode(node.url, node.ready["chainId"], "producer", node.pid, *OPERATOR)
            await comp.fleet.watch_devnet(ready)
        while comp.node.state != "live":
            await asyncio.sleep(0.01)
        await comp.window.explorer_panel.reload()
        start_height = comp.node.height
        gc.collect()
        rss_start = me.memory_info().rss / 2**20
        load = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "tests/bench/transfer_load.py"),
            node.url,
            str(seconds),
            *[k.seed.hex() for k in keys],
            stdout=asyncio.subprocess.PIPE,
        )
        assert load.stdout is not None
        await load.stdout.readline()  # "ready": signing done, load starts now
        repaints_before = comp.window.explorer_panel.repaints
        draws_before = sum(p.draws for p, _ring in comp.window.dashboard_panel.plots)
        heartbeat.start()
        cpu_before = me.cpu_times()
        began = time.perf_counter()
        out, _ = await load.communicate()
        elapsed = time.perf_counter() - began
        cpu_after = me.cpu_times()
        heartbeat.stop()
        accepted = json.loads(out.decode().strip().splitlines()[-1])["accepted"]
        async with httpx.AsyncClient(base_url=node.url) as client:
            while (await client.get("/api/v1/network/status")).json()["mempoolSize"]:
                await asyncio.sleep(0.1)
            head = (await client.get("/health")).json()["height"]
        deadline = time.monotonic() + 30
        while comp.node.height < head and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        produced_blocks = head - start_height
        repaints = comp.window.explorer_panel.repaints - repaints_before
        draws = sum(p.draws for p, _ring in comp.window.dashboard_panel.plots) - draws_before
        result.update(
            seconds=elapsed,
            blocks_produced=produced_blocks,
            blocks_shown=len([h for h in shown_heights if h > start_height]),
            tx_produced=accepted,
            tx_shown=shown_tx,
            blocks_per_s=produced_blocks / elapsed,
            tx_per_s=accepted / elapsed,
            lag_p50=statistics.median(lags),
            lag_p99=pct(lags, 99),
            lag_max=max(lags),
            repaints_per_s=repaints / elapsed,
            plot_draws_per_s=draws / elapsed,
            cpu_pct=100
            * (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system)
            / elapsed,
            rss_start=rss_start,
            rss_end=me.memory_info().rss / 2**20,
        )
        await comp.stop()

    try:
        loop.run_until_complete(go())
    finally:
        node.stop()
        comp.window.deleteLater()
        app.processEvents()
        loop.close()  # as run_gui does: joins the loop's worker threads (psutil reads)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--launches", type=int, default=5)
    parser.add_argument(
        "--as-devnet", action="store_true", help="the fleet watches the node too (health, alerts)"
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    if args.launches:
        runs = launches(args.launches)
        shown = statistics.median(r["shown"] for r in runs)
        live = statistics.median(r["live"] for r in runs)
        every = ", ".join(f"{r['live']:.2f}" for r in runs)
        print(
            f"launch (median of {len(runs)}): window shown {shown:.2f} s, devnet live and "
            f"blocks listed {live:.2f} s  [each: {every}]"
        )
    if args.seconds:
        r = feed(args.seconds, args.as_devnet)
        print(f"feed for {r['seconds']:.0f} s against a node under a steady transfer load:")
        print(
            f"  produced {r['blocks_produced']:,} blocks ({r['blocks_per_s']:,.0f}/s), "
            f"{r['tx_produced']:,} tx ({r['tx_per_s']:,.0f}/s)"
        )
        whole = r["blocks_shown"] == r["blocks_produced"] and r["tx_shown"] == r["tx_produced"]
        print(
            f"  shown    {r['blocks_shown']:,} blocks, {r['tx_shown']:,} tx "
            f"({'nothing lost' if whole else 'SOME MISSING'})"
        )
        print(
            f"  event-loop lag: p50 {r['lag_p50']:.1f} ms, p99 {r['lag_p99']:.1f} ms, "
            f"max {r['lag_max']:.1f} ms (heartbeat every {HEARTBEAT_MS} ms)"
        )
        print(
            f"  repaints: block list {r['repaints_per_s']:.1f}/s, plot draws "
            f"{r['plot_draws_per_s']:.1f}/s"
        )
        print(f"  app CPU: {r['cpu_pct']:.0f} % of one core")
        print(
            f"  app RSS: {r['rss_start']:.0f} MB at start, {r['rss_end']:.0f} MB at end "
            f"(+{r['rss_end'] - r['rss_start']:.0f} MB)"
        )


if __name__ == "__main__":
    main()

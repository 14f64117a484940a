"""Fleet benchmark (not a test): prints figures, asserts nothing.

    make bench-fleet    # or: .venv/bin/python tests/bench/fleet.py [--seconds 300] [--rate 200]

The real app (offscreen, no embedded devnet) starts a local cluster of 1 producer + 7 followers
from its fleet service and shows it on the Fleet tab, while another process sends a steady
transfer load to the producer. For S seconds it samples, once a second: each follower's lag
behind the producer in blocks, and its propagation delay in ms (when its block feed announced a
block vs the first node that did); the app process's CPU % and RSS; and the event loop's lag
from a 10 ms heartbeat timer. At the end: the metrics store's size on disk.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
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
from tests.bench.loop_lag import LoopLag  # noqa: E402
from tests.bench.node_throughput import pct  # noqa: E402

LANES = 8


async def fund(url: str, username: str, password: str, keys: list[Keypair]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        for key in keys:
            answer = await client.post(
                "/api/v1/transactions",
                headers=headers,
                json={"from": "wallet1", "to": key.address, "amount": 100},
            )
            answer.raise_for_status()
        (await client.post("/api/v1/mine", headers=headers, json={"blocks": 1})).raise_for_status()


def run(seconds: float, rate: float, followers: int) -> dict[str, float]:
    import qasync
    from PySide6.QtWidgets import QApplication

    import main as root

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    data_dir = tempfile.mkdtemp(prefix="chaindeck-fleet-bench-")
    comp = root.Composition(root.Options(data_dir=Path(data_dir), embedded=False))
    me = psutil.Process()
    heartbeat = LoopLag()
    lags = heartbeat.lags
    result: dict[str, float] = {}

    async def go() -> None:
        comp.window.show()
        await comp.start()
        comp.window.tabs.setCurrentWidget(comp.window.fleet_panel)
        started = time.perf_counter()
        members = await comp.fleet.start_local("Bench", followers)
        if members is None:
            raise RuntimeError("the local cluster did not start")
        print(f"cluster of 1 + {followers} up in {time.perf_counter() - started:.1f} s")
        comp.window.fleet_panel._select("Bench")
        producer = members[0]
        assert producer.username and producer.password
        keys = [Keypair(os.urandom(32)) for _ in range(LANES)]
        await fund(producer.url, producer.username, producer.password, keys)
        load = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "tests/bench/transfer_load.py"),
            producer.url,
            str(seconds),
            f"--rate={rate}",
            *[k.seed.hex() for k in keys],
            stdout=asyncio.subprocess.PIPE,
        )
        assert load.stdout is not None
        await load.stdout.readline()  # signing done: the load starts now
        lag_blocks: list[float] = []
        lag_ms: list[float] = []
        cpu: list[float] = []
        rss: list[float] = []
        me.cpu_percent(None)
        heartbeat.start()
        began = time.perf_counter()
        seen: set[tuple[str, int]] = set()
        while time.perf_counter() - began < seconds:
            await asyncio.sleep(1.0)
            states = comp.fleet.states.get("Bench", [])
            for s in states[1:]:
                lag_blocks.append(float(s.behind))
                key = (s.name, s.height)
                if s.propagation_ms is not None and key not in seen:
                    seen.add(key)
                    lag_ms.append(s.propagation_ms)
            cpu.append(me.cpu_percent(None))
            rss.append(me.memory_info().rss / 2**20)
        heartbeat.stop()
        out, _ = await load.communicate()
        states = comp.fleet.states.get("Bench", [])
        await comp.health._flush()
        result.update(
            seconds=time.perf_counter() - began,
            accepted=float(out.decode().strip().splitlines()[-1].split(":")[1].strip(" }")),
            final_height=float(states[0].height if states else -1),
            down=float(sum(1 for s in states if s.state == "down")),
            lag_blocks_p50=statistics.median(lag_blocks),
            lag_blocks_p99=pct(lag_blocks, 99),
            lag_ms_p50=statistics.median(lag_ms) if lag_ms else float("nan"),
            lag_ms_p99=pct(lag_ms, 99) if lag_ms else float("nan"),
            lag_ms_samples=float(len(lag_ms)),
            app_cpu_mean=statistics.mean(cpu),
            app_cpu_p99=pct(cpu, 99),
            rss_start=rss[0],
            rss_end=rss[-1],
            loop_lag_p50=statistics.median(lags),
            loop_lag_p99=pct(lags, 99),
            loop_lag_max=max(lags),
            store_bytes=float(await comp.metrics.size_bytes()),
        )
        await comp.stop()

    try:
        with loop:
            loop.run_until_complete(go())
    finally:
        comp.window.deleteLater()
        app.processEvents()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--rate", type=float, default=200, help="transfers a second, in total")
    parser.add_argument("--followers", type=int, default=7)
    args = parser.parse_args()
    print(f"cpus {os.cpu_count()}, {args.followers} followers, {args.rate:g} tx/s offered")
    r = run(args.seconds, args.rate, args.followers)
    print(
        f"watched {r['seconds']:.0f} s: {r['accepted']:.0f} transfers accepted "
        f"({r['accepted'] / r['seconds']:.0f}/s), producer height {r['final_height']:.0f}, "
        f"{r['down']:.0f} nodes down at the end"
    )
    print(
        f"follower lag: p50 {r['lag_blocks_p50']:.1f} / p99 {r['lag_blocks_p99']:.1f} blocks; "
        f"p50 {r['lag_ms_p50']:.0f} / p99 {r['lag_ms_p99']:.0f} ms "
        f"({r['lag_ms_samples']:.0f} block arrivals)"
    )
    print(
        f"app: CPU mean {r['app_cpu_mean']:.1f} % (p99 {r['app_cpu_p99']:.1f} %), "
        f"RSS {r['rss_start']:.0f} -> {r['rss_end']:.0f} MB"
    )
    print(
        f"event-loop lag: p50 {r['loop_lag_p50']:.1f} ms, p99 {r['loop_lag_p99']:.1f} ms "
        f"(target <= 50), max {r['loop_lag_max']:.0f} ms"
    )
    print(f"metrics store: {r['store_bytes'] / 2**20:.2f} MiB after the run")


if __name__ == "__main__":
    main()

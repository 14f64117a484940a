"""The health history: the one-hour ring, minute means, and the SQLite store on a real file
(written, read back by a new store as after a restart, and pruned to its bounds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.health.process_metrics import RemoteProcess, parse_process_metrics
from app.health.series import METRICS, MinuteRollup, NodeHistory
from app.storage.metrics_store import MINUTES, SECONDS, MetricsStore


def row(**values: float | None) -> dict[str, float | None]:
    return {m: values.get(m) for m in METRICS}


def test_the_ring_keeps_the_newest_samples_oldest_first() -> None:
    history = NodeHistory(capacity=5)
    for t in range(8):
        history.append(t, row(cpu_pct=t * 10.0))
    t, values = history.window(since=0)
    assert t.tolist() == [3, 4, 5, 6, 7]
    assert values[:, METRICS.index("cpu_pct")].tolist() == [30, 40, 50, 60, 70]
    assert np.isnan(values[:, METRICS.index("mempool")]).all()  # unknown stays unknown
    assert history.window(since=6)[0].tolist() == [6, 7]
    assert history.latest()["cpu_pct"] == 70


def test_a_minute_rolls_up_into_means_of_the_known_values() -> None:
    rollup = MinuteRollup()
    assert rollup.add(120, row(cpu_pct=10, mempool=None)) is None
    assert rollup.add(150, row(cpu_pct=30, mempool=4)) is None
    minute, means = rollup.add(185, row(cpu_pct=99)) or (0, {})
    assert minute == 120
    assert means["cpu_pct"] == 20 and means["mempool"] == 4 and means["peers"] is None


def test_the_store_reads_back_after_a_restart_and_prunes_old_rows(tmp_path: Path) -> None:
    path = tmp_path / "metrics.db"
    store = MetricsStore(path)
    now = 10_000_000
    store.write_sync(SECONDS, [("n1", now - s, row(cpu_pct=float(s))) for s in range(7200)])
    store.write_sync(MINUTES, [("n1", now - 60 * m, row(up=1.0)) for m in range(12_000)])
    store.write_sync(SECONDS, [("other", now, row(peers=3))])
    store.close()

    again = MetricsStore(path)
    assert again.node_names_sync() == ["n1", "other"]
    recent = again.read_sync(SECONDS, "n1", now - 59)
    assert len(recent) == 60 and recent[-1] == (now, row(cpu_pct=0.0))
    removed = again.prune_sync(now)
    assert removed == (7200 - 3601) + (12_000 - (7 * 24 * 60 + 1))
    assert len(again.read_sync(SECONDS, "n1", 0)) == 3601
    assert len(again.read_sync(MINUTES, "n1", 0)) == 7 * 24 * 60 + 1
    assert again.read_sync(SECONDS, "nobody", 0) == []
    assert again.size_bytes_sync() > 0
    again.close()


def test_remote_cpu_comes_from_two_readings_of_cpu_seconds() -> None:
    page = (
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n"
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 104857600\n"
        "# TYPE chaindeck_host_memory_total_bytes gauge\n"
        "chaindeck_host_memory_total_bytes 1048576000\n"
    )
    figures = parse_process_metrics(page)
    assert figures == {"cpu_seconds": 12.5, "rss_bytes": 104857600, "host_total_bytes": 1048576000}
    remote = RemoteProcess()
    first = remote.take(100.0, figures)
    assert first.cpu_pct is None and first.mem_mb == 100 and first.mem_pct == 10
    later = remote.take(105.0, {**figures, "cpu_seconds": 15.0})
    assert later.cpu_pct == 50

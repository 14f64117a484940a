"""`chaindeck load` and the load job against a real node on 127.0.0.1, with real Locust processes;
every run bounded by its duration and a timeout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from app.jobs.events import Finished
from app.jobs.runner import JobRunner
from app.jobs.status import RunStatus
from app.load.job import LoadJob, LoadTick
from app.load.plan import LoadPlan, check
from app.targets import RunTarget
from tests.helpers.node_process import OPERATOR, NodeProcess

ROOT = Path(__file__).resolve().parents[2]
ENV = {"CHAINDECK_TARGET_USER": OPERATOR[0], "CHAINDECK_TARGET_PASSWORD": OPERATOR[1]}
TICK_KEYS = {"t", "users", "rps", "failures_s", "p50", "p95", "p99", "sent", "included",
             "pending", "inclusion_p95"}  # fmt: skip
SUMMARY_KEYS = {"type", "target", "kind", "scenario", "started", "ended", "hold_s", "workers",
                "users", "requests", "failures", "rps", "latency_ms", "transactions", "senders",
                "thresholds", "generator", "ok"}  # fmt: skip


@pytest.fixture(scope="module")
def node() -> Iterator[NodeProcess]:
    proc = NodeProcess(None, "--block-time", "0.2").start()
    try:
        yield proc
    finally:
        proc.stop()


def load(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "load", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **ENV},
        cwd=ROOT,
    )


def load_watching_feeds(
    url: str, *args: str, timeout: float = 120
) -> tuple[subprocess.CompletedProcess[str], int]:
    """`load(url, *args)`, and the most WebSocket clients the node had meanwhile: the block
    feeds of the run's inclusion trackers."""
    command = [sys.executable, "-m", "app", "load", url, *args]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **ENV}, cwd=ROOT,
    )  # fmt: skip
    most = 0
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        for line in httpx.get(url + "/metrics", timeout=5).text.splitlines():
            if line.startswith("chaindeck_websocket_clients "):
                most = max(most, int(float(line.split()[1])))
        time.sleep(0.05)
    out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    return subprocess.CompletedProcess(command, proc.returncode, out, err), most


def locust_processes(url: str) -> list[psutil.Process]:
    """Locust masters still aimed at this node (other tests may run their own meanwhile)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if any("locustfiles/chaindeck.py" in part for part in cmdline) and url in cmdline:
            found.append(proc)
    return found


def test_transfers_on_two_workers_report_what_the_node_has(
    node: NodeProcess, tmp_path: Path
) -> None:
    report_path, html_path = tmp_path / "load.json", tmp_path / "load.html"
    run, feeds = load_watching_feeds(
        node.url, "--users", "6", "--duration", "2s", "--workers", "2", "--json",
        "--report", str(report_path), "--html", str(html_path),
        "--threshold", "p95<5s", "--threshold", "errors<1%",
        "--threshold", "inclusion_p95<10s", "--threshold", "included_tps>0/s",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    # One inclusion tracker a worker, whatever its users: one block feed each (users starting
    # together once started one each, which cost the node more than the load did).
    assert 1 <= feeds <= 2
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    ticks, summary = lines[:-1], lines[-1]
    assert ticks and all(t["type"] == "tick" and set(t) >= TICK_KEYS for t in ticks)
    assert max(t["users"] for t in ticks) == 6
    assert summary == json.loads(report_path.read_text())
    assert set(summary) >= SUMMARY_KEYS and summary["ok"] is True
    assert summary["workers"] == 2 and summary["kind"] == "native"
    assert all(t["ok"] for t in summary["thresholds"]) and len(summary["thresholds"]) == 4
    tx = summary["transactions"]
    assert tx["pending"] == 0 and tx["rejected"] == 0 and tx["included"] > 0
    # Honesty: what the run calls included is on the chain, counted by the senders' nonces.
    nonces = sum(
        httpx.get(f"{node.url}/api/v1/wallets/{address}/balance").json()["nonce"]
        for address in summary["senders"]
    )
    assert nonces == tx["included"]
    assert len(summary["senders"]) == 7  # 6 users over 2 workers: one spare for the spread
    page = html_path.read_text()
    assert "Load run <span class='pass'>passed</span>" in page and "PASS p95 = " in page
    assert "Plotly.newPlot(" in page and "<script src=" not in page  # charts, nothing fetched
    assert not locust_processes(node.url)


def test_a_missed_threshold_exits_1_and_says_by_how_much(node: NodeProcess, tmp_path: Path) -> None:
    """A user's own locustfile: ChainDeck's figures and thresholds still apply."""
    locustfile = tmp_path / "health.py"
    locustfile.write_text(
        "from locust import HttpUser, constant, task\n\n\n"
        "class Health(HttpUser):\n"
        "    wait_time = constant(0.01)\n\n"
        "    @task\n"
        "    def health(self):\n"
        "        self.client.get('/health')\n"
    )
    run = load(
        node.url, "--scenario", str(locustfile), "--users", "2", "--duration", "2s",
        "--threshold", "rps>1000000/s", "--threshold", "p95{name=/health}<5s",
    )  # fmt: skip
    assert run.returncode == 1, run.stderr + run.stdout
    assert "FAIL rps = " in run.stdout and "< 1,000,000/s (-" in run.stdout
    assert "over the 2 s hold" in run.stdout
    assert "PASS p95{name=/health} = " in run.stdout
    assert run.stdout.rstrip().endswith("failed")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--threshold", "p96<5ms"], "unknown metric 'p96'"),
        (["--scenario", "reads", "--threshold", "p95{name=/nope}<5ms"], "no endpoint '/nope'"),
        (["--stages", "10s:x"], "DURATION:USERS"),
        (["--master-bind", "nowhere"], "HOST:PORT"),
    ],
)
def test_bad_usage_exits_2_at_once_in_one_line(
    node: NodeProcess, args: list[str], says: str
) -> None:
    run = load(node.url, *args, timeout=30)
    assert run.returncode == 2
    assert says in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr and not run.stdout


def test_an_unreachable_target_or_missing_credentials_exit_2(node: NodeProcess) -> None:
    unreachable = load("http://127.0.0.1:9", "--scenario", "reads", timeout=30)
    assert unreachable.returncode == 2 and "cannot reach" in unreachable.stderr
    anonymous = subprocess.run(
        [sys.executable, "-m", "app", "load", node.url, "--duration", "1s"],
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if not k.startswith("CHAINDECK_TARGET")},
        cwd=ROOT,
    )
    assert anonymous.returncode == 2 and "operator credentials" in anonymous.stderr
    # A --private node refuses every read without a token: said plainly, before any load.
    with NodeProcess(None, "--private") as private:
        refused = load(private.url, "--scenario", "reads", "--duration", "1s", timeout=30)
    assert refused.returncode == 2
    assert f"{private.url} is a --private node" in refused.stderr


def test_subscribers_measure_block_delivery(node: NodeProcess) -> None:
    run = load(
        node.url, "--scenario", "subscribers", "--users", "3", "--duration", "2s", "--json",
        "--threshold", "lag_p95<5s",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["subscribers"]["blocks"] > 0 and summary["subscribers"]["lagged"] == 0
    assert summary["subscribers"]["lag_ms"]["p95"] is not None


def test_the_open_model_offers_the_rate_whatever_the_users(node: NodeProcess) -> None:
    """`mixed`: one sender to nine readers, the sender on the open model."""
    run = load(
        node.url, "--scenario", "mixed", "--users", "10", "--rate", "40", "--duration", "2s",
        "--json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    summary = json.loads(run.stdout.splitlines()[-1])
    assert (
        "/api/v1/blocks" in summary["endpoints"]
        and "/api/v1/transactions/raw" in summary["endpoints"]
    )
    tx = summary["transactions"]
    # 40 a second for about 3 s (ramp and hold): nowhere near a closed model's thousands.
    assert 40 <= tx["sent"] <= 40 * 5 and tx["included"] == tx["sent"] - tx["rejected"]
    assert "dropped" in tx


def test_cancel_stops_every_locust_process_and_reports_what_it_measured(
    node: NodeProcess,
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "load", node.url, "--scenario", "reads", "--duration", "5m"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **ENV},
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            if " hold " in line or time.monotonic() > deadline:
                break
        engine = psutil.Process(proc.pid).children(recursive=True)
        assert len(engine) >= 2  # a master and a worker
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert rest.rstrip().endswith("cancelled") and "req/s over the hold" in rest
    psutil.wait_procs(engine, timeout=10)
    assert not [p for p in engine if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


async def test_users_change_live_and_the_hold_ends_on_request(
    node: NodeProcess, tmp_path: Path
) -> None:
    target = RunTarget(node.url, None, "", *OPERATOR)
    plan = check(LoadPlan([target], scenario="reads", users=2, duration=120, drain=0))
    job = LoadJob(plan, tmp_path)
    users: list[int] = []
    finished: Finished | None = None
    asked = False
    async for event in JobRunner().submit(job).events():
        if isinstance(event, LoadTick) and event.tick["phase"] == "hold":
            users.append(event.tick["users"])
            if not asked:
                asked = job.set_users(5)
            elif users[-1] == 5:
                job.end_hold()
        elif isinstance(event, Finished):
            finished = event
    assert asked and 2 in users and 5 in users
    assert finished is not None and finished.status == RunStatus.SUCCEEDED
    summary: dict[str, Any] = finished.summary
    assert summary["users"] == 5 and summary["hold_s"] < 60


async def test_senders_taken_over_after_fewer_users_leave_no_transfer_behind(
    node: NodeProcess, tmp_path: Path
) -> None:
    """Users stopped live hand their senders back with what they had signed and not sent; the
    users started later on those senders go on from the first unsent nonce, so every transfer
    is included (a gap would hold the rest pending in the node's mempool for ever)."""
    target = RunTarget(node.url, None, "", *OPERATOR)
    plan = check(LoadPlan([target], scenario="transfers", users=3, duration=120, drain=20))
    job = LoadJob(plan, tmp_path)
    users: list[int] = []
    finished: Finished | None = None
    step = 0
    async for event in JobRunner().submit(job).events():
        if isinstance(event, LoadTick) and event.tick["phase"] == "hold":
            users.append(event.tick["users"])
            if step == 0 and event.tick["sent"]:
                step += job.set_users(1)
            elif step == 1 and users[-1] == 1:
                step += job.set_users(3)
            elif step == 2 and users[-1] == 3 and event.tick["sent"]:
                step += job.end_hold()
        elif isinstance(event, Finished):
            finished = event
    assert step == 3 and 1 in users
    assert finished is not None and finished.status == RunStatus.SUCCEEDED, finished
    tx = finished.summary["transactions"]
    assert tx["pending"] == 0 and tx["rejected"] == 0
    nonces = sum(
        httpx.get(f"{node.url}/api/v1/wallets/{address}/balance").json()["nonce"]
        for address in finished.summary["senders"]
    )
    assert nonces == tx["included"] == tx["sent"]


def sends_served(node: NodeProcess) -> float:
    """Signed transfers this node answered, from its own /metrics."""
    total = 0.0
    for line in httpx.get(f"{node.url}/metrics").text.splitlines():
        if line.startswith("chaindeck_http_request_duration_seconds_count{") and (
            'route="/api/v1/transactions/raw"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_a_cluster_target_spreads_its_users_over_the_nodes(
    node: NodeProcess, tmp_path: Path
) -> None:
    follower = NodeProcess(None, "--peer", node.url).start()
    try:
        before = sends_served(node), sends_served(follower)
        targets = [
            RunTarget(node.url, None, "producer", *OPERATOR),
            RunTarget(follower.url, None, "follower", *OPERATOR),
        ]
        plan = check(LoadPlan(targets, users=4, duration=2, drain=15, workers=2))
        job = LoadJob(plan, tmp_path)
        events = [event async for event in JobRunner().submit(job).events()]
        finished = events[-1]
        assert isinstance(finished, Finished) and finished.status == RunStatus.SUCCEEDED
        assert sends_served(node) > before[0] and sends_served(follower) > before[1]
        summary = finished.summary
        nonces = sum(
            httpx.get(f"{node.url}/api/v1/wallets/{a}/balance").json()["nonce"]
            for a in summary["senders"]
        )
        assert nonces == summary["transactions"]["included"] > 0
        assert summary["targets"] == [node.url, follower.url]
    finally:
        follower.stop()

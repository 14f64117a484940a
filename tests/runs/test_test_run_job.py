"""Test runs as jobs against real node processes: the bundled suites pass; a faulty node gives
failures with useful messages and the run ends; cancelling stops pytest and its children."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import psutil
import pytest

from app.jobs.test_run import TestRunError, TestRunJob, prepare
from app.targets import RunTarget
from tests.helpers.anvil import anvil, anvil_missing
from tests.helpers.node_process import NodeProcess
from tests.runs.support import results_of, run_to_end, target_of, write_suite

pytestmark = pytest.mark.timeout(300)


async def test_both_suites_pass_against_a_real_node(node: NodeProcess, tmp_path: Path) -> None:
    events, job = await run_to_end(["conformance", "e2e"], target_of(node), tmp_path / "log")
    assert events[0]["event"] == "collected" and events[-1]["event"] == "exited"
    results = results_of(events)
    assert len(results) == len(events[0]["tests"]) > 150
    bad = [(r["nodeid"], r["message"]) for r in results if r["outcome"] in ("failed", "error")]
    assert not bad, bad
    outcomes = {r["outcome"] for r in results}
    assert outcomes <= {"passed", "skipped", "n/a"}
    # Only the Ethereum checks are not applicable, and only the cluster check is skipped.
    na = {r["nodeid"].split("::")[0] for r in results if r["outcome"] == "n/a"}
    assert na == {"conformance/test_ethereum.py", "e2e/test_ethereum_journey.py"}
    assert job.info is not None and job.info.kind == "native" and events[-1]["code"] == 0


async def test_without_credentials_operator_checks_skip_with_the_reason(
    node: NodeProcess, tmp_path: Path
) -> None:
    target = RunTarget(node.url)
    events, _ = await run_to_end(["e2e"], target, tmp_path / "log")
    results = {r["nodeid"]: r for r in results_of(events)}
    journey = results["e2e/test_transfer_journey.py::test_fund_send_confirm_and_both_sides_agree"]
    assert journey["outcome"] == "skipped" and "operator credentials" in journey["message"]


async def test_a_misconfigured_node_fails_with_the_reason(tmp_path: Path) -> None:
    # A node started --private refuses open reads: a public node's contract is broken.
    with NodeProcess(None, "--private") as private:
        events, _ = await run_to_end(
            ["conformance"], target_of(private, kind="native"), tmp_path / "log"
        )
    failed = [r for r in results_of(events) if r["outcome"] in ("failed", "error")]
    assert len(failed) > 20
    assert any("401" in r["message"] or "401" in r["longrepr"] for r in failed)
    assert all(r["message"] for r in failed), "a failure without a message"
    assert events[-1]["event"] == "exited" and events[-1]["code"] == 1


async def test_a_node_stopped_mid_run_gives_errors_and_the_run_ends(tmp_path: Path) -> None:
    node = NodeProcess().start()
    try:
        job = TestRunJob(prepare(["conformance"], target_of(node)), tmp_path / "log")
        events = []
        async for event in job.events():
            events.append(event)
            if len(results_of(events)) == 30:
                node.kill()
    finally:
        node.stop()
    results = results_of(events)
    assert len(results) == len(events[0]["tests"])  # every test reported, none hung
    broken = [r for r in results[30:] if r["outcome"] in ("failed", "error")]
    assert len(broken) > 10
    assert any("connect" in (r["message"] + r["longrepr"]).lower() for r in broken)
    assert events[-1]["event"] == "exited" and events[-1]["code"] == 1


async def test_cancel_stops_pytest_and_what_its_tests_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    suite = write_suite(
        tmp_path / "slow",
        f"""
import subprocess, time
def test_waits_forever():
    child = subprocess.Popen(["sleep", "300"])
    open({str(pid_file)!r}, "w").write(str(child.pid))
    time.sleep(300)
""",
    )
    with NodeProcess() as node:
        job = TestRunJob(prepare([str(suite)], target_of(node)), tmp_path / "log")
        events = []

        async def consume() -> None:
            async for event in job.events():
                events.append(event)

        consumer = asyncio.create_task(consume())
        for _ in range(300):
            if pid_file.exists() and pid_file.read_text():
                break
            await asyncio.sleep(0.1)
        child = int(pid_file.read_text())
        assert job.proc is not None
        pytest_pid = job.proc.pid
        await job.cancel()
        await asyncio.wait_for(consumer, 30)
    assert events[-1]["event"] == "exited" and events[-1]["cancelled"] is True
    assert not psutil.pid_exists(pytest_pid) or psutil.Process(pytest_pid).status() == "zombie"
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == "zombie"


async def test_rerun_of_chosen_tests_runs_only_those(node: NodeProcess, tmp_path: Path) -> None:
    only = ["conformance/test_blocks.py::test_genesis_is_height_zero"]
    events, _ = await run_to_end(["conformance"], target_of(node), tmp_path / "log", only=only)
    assert [r["nodeid"] for r in results_of(events)] == only


async def test_an_unreachable_target_is_refused_before_pytest_starts(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    job = TestRunJob(prepare(["e2e"], RunTarget(f"http://127.0.0.1:{port}")), tmp_path / "log")
    with pytest.raises(TestRunError, match="cannot reach"):
        await job.probe()
    assert job.proc is None


@pytest.mark.parametrize(
    ("suites", "url", "why"),
    [
        (["nope"], "http://127.0.0.1:1", "no suite 'nope'"),
        ([], "http://127.0.0.1:1", "at least one suite"),
        (["e2e"], "127.0.0.1:8645", "not a node URL"),
    ],
)
def test_bad_input_is_refused_with_the_reason(suites: list[str], url: str, why: str) -> None:
    with pytest.raises(TestRunError, match=why):
        prepare(suites, RunTarget(url))


@pytest.mark.skipif(anvil_missing() is not None, reason=str(anvil_missing()))
async def test_ethereum_target_runs_what_applies(tmp_path: Path) -> None:
    with anvil() as url:
        events, job = await run_to_end(["conformance", "e2e"], RunTarget(url), tmp_path / "log")
    assert job.info is not None and job.info.kind == "ethereum"
    results = results_of(events)
    passed = [r["nodeid"] for r in results if r["outcome"] == "passed"]
    assert len(passed) == 6, passed
    assert not [r for r in results if r["outcome"] in ("failed", "error")]
    assert {r["outcome"] for r in results} == {"passed", "n/a"}

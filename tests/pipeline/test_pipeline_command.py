"""`chaindeck pipeline` as CI runs it, on real chains on 127.0.0.1: reports a CI system reads
(JUnit valid against the common schema), exit codes, failing stages stopping the rest, and no
process left behind, SIGTERM included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import xmlschema

from tests.helpers.leftovers import nodes_under

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "junit-10.xsd"


def pipeline(
    folder: Path, text: str, *extra: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    (folder / "pipeline.toml").write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "app", "pipeline", str(folder / "pipeline.toml"),
         "--out", str(folder / "out"), "--data-dir", str(folder), *extra],
        capture_output=True, text=True, timeout=timeout, cwd=folder,
        env={**os.environ, "TMPDIR": str(folder)},  # its work dir, where leftovers are sought
    )  # fmt: skip


def leftovers(folder: Path) -> list[list[str]]:
    """Nodes, Locust and pytest processes started from under `folder`."""
    found = [p.cmdline() for p in nodes_under(folder)]
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        mine = any(str(folder) in arg for arg in cmdline) and proc.pid != os.getpid()
        if mine and proc.status() != psutil.STATUS_ZOMBIE and cmdline not in found:
            found.append(cmdline)
    return found


def test_a_passing_pipeline_writes_three_reports_and_leaves_no_node(tmp_path: Path) -> None:
    run = pipeline(
        tmp_path,
        """
name = "nightly"

[[stages]]
kind = "cluster"
followers = 1
args = ["--block-time", "0.5"]

[[stages]]
kind = "test"
suites = ["conformance", "e2e"]

[[stages]]
kind = "load"
scenario = "transfers"
users = 4
duration = "3s"
thresholds = ["errors<1%", "inclusion_p95<10s"]
""",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "report.html", "report.json"]
    assert leftovers(tmp_path) == []
    lines = run.stdout.splitlines()
    assert lines[0] == "▶ 1 cluster" and "PASS 1 cluster: 2 node(s) up" in lines
    assert any(line.startswith("PASS 2 test: ") for line in lines)
    assert "pipeline nightly: passed" in lines
    assert any("stopped the pipeline's chain (2 nodes)" in line for line in lines)

    xmlschema.XMLSchema(SCHEMA).validate(out / "junit.xml")
    junit = (out / "junit.xml").read_text()
    assert junit.count("<testsuite ") == 3 and "<failure" not in junit
    assert 'name="errors&lt;1%"' in junit  # a threshold is a test case

    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "passed"
    assert [s["kind"] for s in report["stages"]] == ["cluster", "test", "load"]
    runs = report["stages"][1]["report"]["runs"]
    assert [r["target"] for r in runs] == ["pipeline producer", "pipeline follower 1"]
    assert all(r["counts"]["passed"] > 150 for r in runs)
    load = report["stages"][2]["report"]
    assert load["ok"] and load["ticks"] and load["transactions"]["included"] > 0

    page = (out / "report.html").read_text()
    assert "Pipeline nightly <span class='pass'>passed</span>" in page
    assert page.count("Plotly.newPlot(") >= 3 and "<script src" not in page  # all inside


def test_a_missed_threshold_fails_the_build_and_stops_the_later_stages(tmp_path: Path) -> None:
    run = pipeline(
        tmp_path,
        """
name = "gate"

[[stages]]
kind = "cluster"

[[stages]]
kind = "load"
scenario = "reads"
users = 2
duration = "2s"
thresholds = ["rps>=1000000/s"]

[[stages]]
kind = "test"
suites = ["conformance"]
""",
        "--json",
    )
    assert run.returncode == 1, run.stdout + run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    stages = [(e["stage"], e["status"]) for e in events if e["type"] == "stage"]
    assert stages == [
        ("1 cluster", "started"), ("1 cluster", "passed"),
        ("2 load", "started"), ("2 load", "failed"),
        ("3 test", "skipped"),
    ]  # fmt: skip
    assert events[-1] == {**events[-1], "type": "summary", "status": "failed",
                          "failed": ["2 load"]}  # fmt: skip
    xmlschema.XMLSchema(SCHEMA).validate(tmp_path / "out" / "junit.xml")
    junit = (tmp_path / "out" / "junit.xml").read_text()
    assert 'message="FAIL rps = ' in junit and "&lt; 1,000,000/s (-" in junit  # by how much
    assert '<skipped message="stage “2 load” failed"' in junit
    assert leftovers(tmp_path) == []


def test_an_invalid_file_exits_2_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "plan.toml").write_text('name = "p"\ncluster = "c"\nspeed = 1\n')
    cases = {
        'name = "x"\n[[stages]]\nkind = "tests"\n': "stages[0]: kind must be cluster, test",
        'name = "x"\n[[stages]]\nkind = "test"\n': "stages[0].target: no chain to test",
        'name = "x"\n[[stages]]\nkind = "cluster"\nfollowers = 99\n': "stages[0].followers",
        'name = "x"\n[[stages]]\nkind = "cluster"\n[[stages]]\nkind = "load"\n'
        'thresholds = ["p95<<3"]\n': "stages[1].thresholds: threshold",
        'name = "x"\n[[stages]]\nkind = "deploy"\nplan = "plan.toml"\n': (
            "stages[0].plan: " + str(tmp_path / "plan.toml") + ": speed: unknown key"
        ),
        'name = "x"\nstages = []\nretries = 3\n': "retries: unknown key",
        'name = "x"\n[[stages]]\nkind = "load"\ntarget = "http://127.0.0.1:9"\n'
        'ssh_workers = ["loadhost"]\n': "stages[0].ssh_workers: 'loadhost': USER@HOST",
    }
    for text, message in cases.items():
        run = pipeline(tmp_path, text)
        assert run.returncode == 2, (text, run.stdout, run.stderr)
        assert message in run.stderr, (text, run.stderr)
        assert "Traceback" not in run.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_sigterm_during_a_long_load_stage_leaves_no_process(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text(
        'name = "long"\n[[stages]]\nkind = "cluster"\n'
        '[[stages]]\nkind = "load"\nscenario = "reads"\nusers = 2\nduration = "10m"\n'
        '[[stages]]\nkind = "test"\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "pipeline", str(tmp_path / "pipeline.toml"),
         "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if "hold t=" in line:
            break
    assert leftovers(tmp_path)  # the chain and Locust run now
    proc.send_signal(signal.SIGTERM)  # as a CI runner cancelling the job does
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "FAIL 2 load: cancelled" in rest and "SKIP 3 test: cancelled" in rest
    deadline = time.monotonic() + 10
    while leftovers(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftovers(tmp_path) == []
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["cancelled"] and report["status"] == "failed"


def test_continue_on_failure_lets_the_next_stage_run(tmp_path: Path) -> None:
    """Two stages that cannot reach their node (nothing listens on port 9): the first says to
    go on, the second does not, so the third is skipped."""
    nowhere = "http://127.0.0.1:9"
    run = pipeline(
        tmp_path,
        f"""
name = "carry on"
[[stages]]
kind = "test"
target = "{nowhere}"
continue_on_failure = true
[[stages]]
kind = "load"
scenario = "reads"
target = "{nowhere}"
[[stages]]
kind = "test"
target = "{nowhere}"
""",
    )
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert any(line.startswith("FAIL 1 test: ") and "127.0.0.1:9" in line for line in lines)
    assert any(line.startswith("FAIL 2 load: ") for line in lines)
    assert "SKIP 3 test: stage “2 load” failed" in lines
    xmlschema.XMLSchema(SCHEMA).validate(tmp_path / "out" / "junit.xml")
    junit = (tmp_path / "out" / "junit.xml").read_text()
    assert junit.count("<failure") == 2 and junit.count("<skipped") == 1

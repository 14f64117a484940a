"""`chaindeck test` as CI runs it: progress on stdout, JUnit XML valid against the common
schema, a JSON report, and exit 0 / 1 / 2 as shared/spec/cli.md says."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import xmlschema

from tests.helpers.anvil import ROOT
from tests.helpers.node_process import OPERATOR, NodeProcess
from tests.runs.support import write_suite

SCHEMA = ROOT / "tests" / "data" / "junit-10.xsd"


def chaindeck_test(*args: str, operator: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINDECK_")}
    if operator:
        env.update(CHAINDECK_TARGET_USER=OPERATOR[0], CHAINDECK_TARGET_PASSWORD=OPERATOR[1])
    return subprocess.run(
        [sys.executable, "-m", "app", "test", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=ROOT,
    )


def test_a_passing_run_exits_0_with_valid_reports(node: NodeProcess, tmp_path: Path) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    done = chaindeck_test(
        node.url, "--suite", "e2e", "--junit-xml", str(junit), "--json", str(report)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"testing {node.url} (native, chaindeck")
    assert any("PASS  e2e/test_transfer_journey.py::" in line for line in lines)
    assert lines[-1].startswith("passed: 3 passed")
    xmlschema.XMLSchema(SCHEMA).validate(junit)
    body = json.loads(report.read_text())
    assert body["status"] == "passed" and body["kind"] == "native"
    assert body["counts"]["passed"] == 3 and len(body["tests"]) == 5


def test_a_failing_test_exits_1_and_is_in_the_reports(node: NodeProcess, tmp_path: Path) -> None:
    suite = write_suite(
        tmp_path / "mine",
        """
def test_height_is_readable(node):
    assert node.get("/health").json()["height"] >= 0

def test_chain_id_is_what_we_ship(node):
    assert node.chain_id == "production-chain", "wrong chain"
""",
    )
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    done = chaindeck_test(
        node.url, "--suite", str(suite), "--junit-xml", str(junit), "--json", str(report)
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL  test_user_suite.py::test_chain_id_is_what_we_ship" in done.stdout
    assert "wrong chain" in done.stdout
    xmlschema.XMLSchema(SCHEMA).validate(junit)
    assert "<failure" in junit.read_text()
    failed = [t for t in json.loads(report.read_text())["tests"] if t["outcome"] == "failed"]
    assert [t["nodeid"] for t in failed] == ["test_user_suite.py::test_chain_id_is_what_we_ship"]
    assert "production-chain" in failed[0]["longrepr"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ([f"http://127.0.0.1:{closed_port()}"], "cannot reach"),
        (["no-such-profile", "--data-dir", "{tmp}"], "neither a node URL"),
        (["http://127.0.0.1:1", "--suite", "nope"], "no suite 'nope'"),
        (["http://127.0.0.1:1", "--junit-xml", "/no/such/dir/j.xml"], "no folder"),
    ],
)
def test_bad_usage_and_unreachable_targets_exit_2_with_one_line(
    tmp_path: Path, args: list[str], why: str
) -> None:
    done = chaindeck_test(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert done.returncode == 2, done.stdout + done.stderr
    assert why in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_help_names_the_suites() -> None:
    done = chaindeck_test("--help")
    assert done.returncode == 0 and "conformance" in done.stdout and "--junit-xml" in done.stdout

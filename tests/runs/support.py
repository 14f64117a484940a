"""Helpers for the test-run tests: targets, running a job to its end, user suites."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from app.jobs.test_run import TestRunJob, prepare
from app.targets import RunTarget
from tests.helpers.node_process import OPERATOR, NodeProcess


def target_of(node: NodeProcess, **changes: Any) -> RunTarget:
    return replace(RunTarget(node.url, None, "test node", *OPERATOR), **changes)


async def run_to_end(
    suites: list[str], target: RunTarget, log: Path, **options: Any
) -> tuple[list[dict[str, Any]], TestRunJob]:
    job = TestRunJob(prepare(suites, target, **options), log)
    return [event async for event in job.events()], job


def results_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "test"]


def write_suite(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_user_suite.py").write_text(body)
    return folder

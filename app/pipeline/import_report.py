"""A pipeline's report folder read into the app's history (File ▸ Open report…): its test runs,
load runs (with their seconds) and deployments (with their events) become runs like local
ones, at the times they ran, named after the pipeline, so a CI failure is examined in the same
views as a local one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from app.jobs.status import RunStatus
from app.pipeline.reports import JSON
from app.storage.deploy_runs import DeployRunStore
from app.storage.load_runs import LoadRunStore
from app.storage.test_runs import TestRunStore


class ReportImportError(ValueError):
    """Not a report folder (or a damaged one); the message says which."""


def _epoch(text: str | None, default: float) -> float:
    try:
        return dt.datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return default


def read_report(folder: Path) -> dict[str, Any]:
    path = folder / JSON if folder.is_dir() else folder
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportImportError(f"{folder} has no {JSON}: not a pipeline's report folder") from None
    except (OSError, ValueError) as exc:
        raise ReportImportError(f"{path}: {exc}") from None
    if not isinstance(report, dict) or report.get("type") != "pipeline":
        raise ReportImportError(f"{path} is not a pipeline report")
    return report


async def import_report(
    folder: Path, tests: TestRunStore, load: LoadRunStore, deploy: DeployRunStore
) -> dict[str, int]:
    """How many runs of each kind came in."""
    report = read_report(folder)
    origin = f"CI {report['name']}"
    counts = {"test": 0, "load": 0, "deploy": 0}
    for stage in report.get("stages", []):
        data = stage.get("report") or {}
        started = _epoch(stage.get("started"), 0.0)
        ended = _epoch(stage.get("ended"), started)
        if stage["kind"] == "test":
            for run in data.get("runs", []):
                await _test_run(tests, run, f"{run['target']} ({origin})", started, ended)
                counts["test"] += 1
        elif stage["kind"] == "load" and data.get("latency_ms") is not None:
            await _load_run(load, data, stage, origin, started, ended)
            counts["load"] += 1
        elif stage["kind"] == "deploy" and data.get("events"):
            await _deployment(deploy, data, origin, started, ended)
            counts["deploy"] += 1
    return counts


async def _test_run(
    store: TestRunStore, run: dict[str, Any], name: str, started: float, ended: float
) -> None:
    row = await store.create({"suites": run["suites"], "target_url": run["url"],
                              "target_name": name})  # fmt: skip
    for result in run["results"]:
        await store.add_result(row["id"], result)
    counts = {k: v for k, v in run["counts"].items() if k != "total"}
    status = (
        RunStatus(run["status"]) if run["status"] in RunStatus.__members__ else RunStatus.FAILED
    )
    await store.finish(row["id"], status, counts, int(run["counts"].get("total", 0)),
                       run.get("message", ""))  # fmt: skip
    await store.runs_table.set_times(row["id"], started, ended)


async def _load_run(
    store: LoadRunStore,
    data: dict[str, Any],
    stage: dict[str, Any],
    origin: str,
    started: float,
    ended: float,
) -> None:
    report = {k: v for k, v in data.items() if k != "ticks"}
    row = await store.create(
        {
            "target_url": report.get("target", ""),
            "target_name": f"{len(report.get('targets', []))} node(s) ({origin})",
            "scenario": report.get("scenario", ""),
            "node_kind": report.get("kind", ""),
            "users": report.get("users", 0),
            "workers": report.get("workers", 1),
            "hold_s": report.get("hold_s", 0),
            "options": {"imported_from": origin},
        }
    )
    for tick in data.get("ticks", []):
        await store.add_tick(row["id"], tick)
    status = RunStatus.SUCCEEDED if stage["status"] == "passed" else RunStatus.FAILED
    await store.finish(row["id"], status, stage.get("detail", ""), report)
    await store.runs_table.set_times(row["id"], started, ended)


async def _deployment(
    store: DeployRunStore, data: dict[str, Any], origin: str, started: float, ended: float
) -> None:
    summary = data.get("summary") or {}
    plan = next((e for e in data["events"] if e["type"] == "plan"), {})
    row = await store.create(
        data.get("plan", ""), f"{plan.get('cluster', '')} ({origin})",
        plan.get("strategy", ""), "", "",
    )  # fmt: skip
    for event in data["events"]:
        await store.add_event(row["id"], event)
    outcome = summary.get("status")
    status = {"succeeded": RunStatus.SUCCEEDED, "aborted": RunStatus.CANCELLED}.get(
        str(outcome), RunStatus.FAILED
    )
    await store.finish(row["id"], status, summary.get("reason", ""), summary)
    await store.runs_table.set_times(row["id"], started, ended)

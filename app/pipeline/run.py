"""Runs a pipeline's stages in order on the jobs the window runs (a local cluster, test runs,
load runs, a deployment), not on a second implementation. The chain it starts is tied to this
process (its nodes stop when it ends, however it ends) and stopped at the end whatever happens.
Events go to `emit` as dicts: `stage` (started, passed, failed, skipped), `progress` (a stage's
own lines) and `summary`; the result is the whole report (report.json)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.cli.deploy_output import event_line
from app.cli.targets import TargetError, resolve_targets
from app.clusters.cluster import LocalCluster, member_targets
from app.clusters.folder import ClusterError
from app.deploy.job import DeployEvent, DeployJob, make_target
from app.deploy.plan import PlanError, load_plan
from app.jobs.events import Finished, Refused
from app.jobs.runner import JobRunner, RunHandle
from app.jobs.status import RunStatus
from app.jobs.test_run import TestFinished, TestRunError, TestRunJob
from app.jobs.test_run import prepare as prepare_tests
from app.load.job import LoadJob, LoadProgress, LoadTick
from app.load.plan import LoadError, LoadOptions
from app.pipeline.file import (
    ClusterStage,
    DeployStage,
    LoadStage,
    Pipeline,
    TestStage,
    plan_path,
)
from app.targets import RunTarget

Emit = Callable[[dict[str, Any]], None]
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
TICK_EVERY_S = 5  # a load stage's progress line every this many seconds


class StageFailed(Exception):
    """The stage could not run at all; the message says why."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "x"


class PipelineRun:
    def __init__(
        self, pipeline: Pipeline, file: Path, work: Path, emit: Emit, data_dir: Path | None
    ) -> None:
        self.pipeline = pipeline
        self.file = file
        self.work = work
        self._emit = emit
        self.data_dir = data_dir
        self.runner = JobRunner()
        self.cluster: LocalCluster | None = None
        self.cancelled = False
        self._handle: RunHandle | None = None
        self._deploy: DeployJob | None = None

    def emit(self, event: dict[str, Any]) -> None:
        self._emit({**event, "t": round(time.time(), 3)})

    def progress(self, stage: str, line: str) -> None:
        self.emit({"type": "progress", "stage": stage, "line": line})

    async def cancel(self) -> None:
        """Ctrl+C or SIGTERM: the stage under way stops (a deployment rolls back), the rest
        are skipped, and the chain is stopped."""
        self.cancelled = True
        if self._deploy is not None:
            self._deploy.deployment.abort("the pipeline was cancelled")
        elif self._handle is not None:
            await self._handle.cancel()

    # -- the run -----------------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "type": "pipeline",
            "name": self.pipeline.name,
            "file": str(self.file),
            "started": _now(),
            "stages": [],
        }
        stop_reason = ""
        try:
            for index, stage in enumerate(self.pipeline.stages):
                name = self.pipeline.stage_name(index)
                entry: dict[str, Any] = {"name": name, "kind": stage.kind, "started": _now()}
                if stop_reason or self.cancelled:
                    reason = "cancelled" if self.cancelled else stop_reason
                    entry.update(status=SKIPPED, detail=reason, report={})
                    self.emit(
                        {
                            "type": "stage",
                            "stage": name,
                            "kind": stage.kind,
                            "status": SKIPPED,
                            "detail": entry["detail"],
                        }
                    )
                    report["stages"].append(entry)
                    continue
                self.emit({"type": "stage", "stage": name, "kind": stage.kind, "status": "started"})
                began = time.monotonic()
                try:
                    status, detail, stage_report = await self._stage(stage, name)
                except StageFailed as exc:
                    status, detail, stage_report = FAILED, str(exc), {}
                if self.cancelled:
                    status = FAILED
                    detail = (
                        f"cancelled: {detail}" if detail not in ("", "cancelled") else ("cancelled")
                    )
                entry.update(
                    status=status,
                    detail=detail,
                    seconds=round(time.monotonic() - began, 3),
                    ended=_now(),
                    report=stage_report,
                )
                report["stages"].append(entry)
                self.emit(
                    {
                        "type": "stage",
                        "stage": name,
                        "kind": stage.kind,
                        "status": status,
                        "detail": detail,
                    }
                )
                if status == FAILED and not stage.continue_on_failure:
                    stop_reason = f"stage “{name}” failed"
        finally:
            await self._stop_chain()
        failed = [s["name"] for s in report["stages"] if s["status"] == FAILED]
        report.update(
            status=FAILED if failed or self.cancelled else PASSED,
            ended=_now(),
            cancelled=self.cancelled,
        )
        self.emit(
            {
                "type": "summary",
                "pipeline": self.pipeline.name,
                "status": report["status"],
                "failed": failed,
            }
        )
        return report

    async def _stop_chain(self) -> None:
        if self.cluster is not None and self.cluster.exists:
            stopped = await asyncio.shield(self.cluster.down())
            if stopped:
                count = f"{len(stopped)} node{'s' if len(stopped) != 1 else ''}"
                self.progress("cluster", f"stopped the pipeline's chain ({count})")

    async def _stage(self, stage: Any, name: str) -> tuple[str, str, dict[str, Any]]:
        if isinstance(stage, ClusterStage):
            return await self._cluster(stage, name)
        if isinstance(stage, TestStage):
            return await self._tests(stage, name)
        if isinstance(stage, LoadStage):
            return await self._load(stage, name)
        assert isinstance(stage, DeployStage)
        return await self._deploy_stage(stage, name)

    def _targets(self, text: str | None) -> list[RunTarget]:
        if text is not None:
            try:
                return resolve_targets(text, None, self.data_dir)
            except TargetError as exc:
                raise StageFailed(str(exc)) from None
        assert self.cluster is not None, "checked when the file was read"
        return member_targets(self.cluster.members())

    # -- stages ------------------------------------------------------------------------------
    async def _cluster(self, stage: ClusterStage, name: str) -> tuple[str, str, dict[str, Any]]:
        self.cluster = LocalCluster(self.work / "clusters", "pipeline", tied=True)
        self.progress(name, f"starting a producer and {stage.followers} follower(s)")
        try:
            await self.cluster.up(stage.followers, args=tuple(stage.args))
        except ClusterError as exc:
            raise StageFailed(str(exc)) from None
        members = [{"name": m.name, "role": m.role, "url": m.url} for m in self.cluster.members()]
        for member in members:
            self.progress(name, f"{member['name']} ({member['role']}) at {member['url']}")
        return PASSED, f"{len(members)} node(s) up", {"members": members}

    async def _follow(self, job: Any, on_event: Callable[[Any], None]) -> Finished:
        """Run `job` on the pipeline's runner, handing each event to `on_event`."""
        self._handle = self.runner.submit(job)
        finished = Finished(RunStatus.FAILED, "no result")
        try:
            async for event in self._handle.events():
                if isinstance(event, Refused):
                    raise StageFailed(event.message)
                if isinstance(event, Finished):
                    finished = event
                else:
                    on_event(event)
        finally:
            self._handle = None
        return finished

    async def _tests(self, stage: TestStage, name: str) -> tuple[str, str, dict[str, Any]]:
        runs = []
        for target in self._targets(stage.target):
            try:
                plan = prepare_tests(stage.suites, target)
            except TestRunError as exc:
                raise StageFailed(str(exc)) from None
            job = TestRunJob(plan, self.work / f"{_slug(name)}-{_slug(target.label)}.log")
            results: list[dict[str, Any]] = []

            def took(
                event: Any, results: list[dict[str, Any]] = results, label: str = target.label
            ) -> None:
                if isinstance(event, TestFinished):
                    result = {
                        k: event.result.get(k)
                        for k in ("nodeid", "outcome", "duration", "message", "longrepr")
                    }
                    results.append(result)
                    if result["outcome"] in ("failed", "error"):
                        self.progress(
                            name,
                            f"{label}: {result['outcome'].upper()} "
                            f"{result['nodeid']}: {result['message']}",
                        )

            self.progress(name, f"{', '.join(stage.suites)} on {target.label}")
            finished = await self._follow(job, took)
            counts = finished.summary
            line = ", ".join(f"{n} {k}" for k, n in counts.items() if n and k != "total")
            self.progress(name, f"{target.label}: {line or finished.message}")
            runs.append(
                {
                    "target": target.label,
                    "url": target.url,
                    "suites": stage.suites,
                    "status": str(finished.status),
                    "message": finished.message,
                    "counts": counts,
                    "results": results,
                }
            )
        failed = [r for r in runs if r["status"] != RunStatus.SUCCEEDED]
        detail = "; ".join(
            f"{r['target']}: {r['counts'].get('failed', 0)} failed, "
            f"{r['counts'].get('error', 0)} errors"
            for r in failed
        )
        passed = sum(r["counts"].get("passed", 0) for r in runs)
        return (
            (FAILED, detail, {"runs": runs})
            if failed
            else (PASSED, f"{passed} passed on {len(runs)} node(s)", {"runs": runs})
        )

    def _beside(self, path: str | None) -> str | None:
        """A path the file names, relative to the file (`~` is the user's home)."""
        return None if path is None else str(self.file.parent / Path(path).expanduser())

    async def _load(self, stage: LoadStage, name: str) -> tuple[str, str, dict[str, Any]]:
        options = LoadOptions(
            scenario=stage.scenario,
            users=stage.users,
            duration=f"{stage.duration:g}s",
            rate=stage.rate,
            workers=stage.workers,
            thresholds=list(stage.thresholds),
            drain="15s",
            ssh_workers=stage.ssh_workers,
            ssh_key=self._beside(stage.ssh_key),
            ssh_known_hosts=self._beside(stage.ssh_known_hosts),
            ssh_chaindeck=stage.ssh_chaindeck,
        )
        try:
            plan = options.plan(self._targets(stage.target))
        except LoadError as exc:
            raise StageFailed(str(exc)) from None
        job = LoadJob(plan, self.work / _slug(name))
        ticks: list[dict[str, Any]] = []

        def took(event: Any) -> None:
            if isinstance(event, LoadProgress):
                self.progress(name, event.message)
            elif isinstance(event, LoadTick):
                ticks.append(event.tick)
                tick = event.tick
                if int(tick.get("t", 0)) % TICK_EVERY_S == 0:
                    self.progress(
                        name,
                        f"{tick.get('phase', '')} t={tick.get('t')}s "
                        f"{tick.get('users')} users, {tick.get('rps')} req/s, "
                        f"p95 {tick.get('p95')} ms",
                    )

        finished = await self._follow(job, took)
        report = {**finished.summary, "ticks": ticks}
        if not finished.summary:
            raise StageFailed(f"the load run did not report: {finished.message}")
        for threshold in report.get("thresholds", []):
            self.progress(name, threshold["message"])
        failed = [t["message"] for t in report.get("thresholds", []) if not t["ok"]]
        if finished.status == RunStatus.SUCCEEDED:
            return PASSED, f"{report.get('rps')} req/s, every threshold met", report
        return FAILED, "; ".join(failed) or finished.message, report

    async def _deploy_stage(self, stage: DeployStage, name: str) -> tuple[str, str, dict[str, Any]]:
        from app.cli.deploy_command import saved_members
        from app.paths import AppPaths

        try:
            plan = load_plan(plan_path(self.file, stage))
        except PlanError as exc:
            raise StageFailed(str(exc)) from None
        if self.cluster is not None:  # the plan runs on the pipeline's own chain
            plan = plan.model_copy(update={"cluster": self.cluster.name})
            root, saved = self.cluster.folder.path.parent, {}
        else:
            root, saved = AppPaths.at(self.data_dir).clusters, saved_members(self.data_dir)
        work = self.work / _slug(name)
        try:
            target = make_target(plan, root, saved, work)
        except PlanError as exc:
            raise StageFailed(str(exc)) from None

        async def approve(question: str) -> bool:
            self.progress(name, f"{question} {'yes (yes = true)' if stage.yes else 'no'}")
            return stage.yes

        job = DeployJob(plan, target, self.runner, work, approve)
        events: list[dict[str, Any]] = []

        def took(event: Any) -> None:
            if isinstance(event, DeployEvent):
                events.append(event.event)
                line = event_line(event.event)
                if line:
                    self.progress(name, line.strip())

        self._deploy = job
        try:
            finished = await self._follow(job, took)
        finally:
            self._deploy = None
        summary = finished.summary
        report = {"plan": plan.name, "summary": summary, "events": events}
        if summary.get("status") == "succeeded":
            return PASSED, f"“{plan.name}” succeeded", report
        reason = summary.get("reason") or finished.message
        return FAILED, f"“{plan.name}” {summary.get('status', 'failed')}: {reason}", report

"""The Deploy tab's service: plans checked as they are typed, dry runs, deployments on the shared
runner (the same engine and job as `chaindeck deploy`), a person's approval, abort, rollback
now, the history, and the moments the health graphs and load charts mark."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.clusters.cluster import ClusterMember
from app.deploy.job import DeployEvent, DeployJob, make_target
from app.deploy.plan import Plan, PlanError, parse_plan
from app.deploy.timeline import Timeline
from app.jobs.events import Finished, Refused, Started, Waiting
from app.jobs.runner import JobRunner
from app.jobs.status import RunStatus
from app.paths import AppPaths
from app.services.connections_service import ProfileError
from app.services.fleet_service import FleetService
from app.services.running_runs import RunningRuns
from app.storage.clusters import SAVED
from app.storage.deploy_runs import DeployRunStore
from app.tasks import spawn

log = logging.getLogger("chaindeck.deploy")
MARKS_SINCE_S = 24 * 3600


class DeployService(QObject, RunningRuns):
    deploymentStarted = Signal(object)  # the run's row
    eventReceived = Signal(int, object)  # run id, the engine's event
    deploymentFinished = Signal(object)  # the run's final row (summary: the spec's summary)
    deploymentRefused = Signal(str)  # could not start: why
    deploymentWaiting = Signal(str)
    approvalRequested = Signal(int, str)  # run id, the question
    approvalSettled = Signal(int)  # answered (or the run ended)
    marksChanged = Signal(object)  # [(epoch s, label)]: deployment moments for time axes

    def __init__(
        self,
        store: DeployRunStore,
        paths: AppPaths,
        fleet: FleetService,
        runner: JobRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.paths = paths
        self.fleet = fleet
        self.runner = runner
        self.marks: list[tuple[float, str]] = []
        self.live: dict[int, Timeline] = {}
        self._approvals: dict[int, asyncio.Future[bool]] = {}
        RunningRuns.__init__(self)

    async def start(self) -> None:
        since = time.time() - MARKS_SINCE_S
        self.marks = Timeline.of(await self.store.marks(since)).marks
        self.marksChanged.emit(self.marks)

    # -- plans -------------------------------------------------------------------------------
    def _saved(self) -> dict[str, list[ClusterMember]]:
        saved: dict[str, list[ClusterMember]] = {}
        for cluster in self.fleet.clusters:
            if cluster["kind"] == SAVED:
                try:
                    saved[cluster["name"]] = self.fleet.members(cluster["name"])
                except ProfileError:
                    continue
        return saved

    def _work_dir(self, plan: Plan) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return self.paths.root / "deployments" / f"{stamp}-{plan.cluster.replace(' ', '_')}"

    def check(self, text: str) -> str | None:
        """What is wrong with the plan, naming the field; None when it can run. Cheap enough
        to call as the user types (no network)."""
        try:
            plan = parse_plan(text)
            make_target(plan, self.paths.clusters, self._saved(), self._work_dir(plan))
        except PlanError as exc:
            return str(exc).removeprefix("plan: ")
        return None

    @staticmethod
    def read_plan(path: Path) -> str:
        """The plan's text; OSError says why not."""
        return path.read_text()

    @staticmethod
    def save_plan(path: Path, text: str) -> None:
        path.write_text(text)

    def _job(self, text: str, plan: Plan | None = None) -> DeployJob:
        plan = plan or parse_plan(text)
        work_dir = self._work_dir(plan)
        target = make_target(plan, self.paths.clusters, self._saved(), work_dir)

        async def approve(question: str) -> bool:
            run_id = job.run_id
            if run_id is None:
                return False
            future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._approvals[run_id] = future
            self.approvalRequested.emit(run_id, question)
            try:
                return await future
            finally:
                self._approvals.pop(run_id, None)
                self.approvalSettled.emit(run_id)

        job = DeployJob(plan, target, self.runner, work_dir, approve)
        return job

    async def dry_run(self, text: str) -> list[dict[str, Any]]:
        """The steps it would take; PlanError (or a refusal as PlanError) when it cannot."""
        problem, steps = await self._job(text).dry_run()
        if problem:
            raise PlanError(problem)
        return steps

    # -- runs --------------------------------------------------------------------------------
    def run(self, text: str) -> bool:
        """Start a deployment; False (and `deploymentRefused`) when the plan is wrong."""
        try:
            job = self._job(text)
        except PlanError as exc:
            self.deploymentRefused.emit(str(exc).removeprefix("plan: "))
            return False
        spawn(self._tasks, self._run(job, text), f"deploy {job.plan.name}")
        return True

    async def _run(self, job: DeployJob, text: str) -> None:
        handle = self.runner.submit(job)
        self.waiting.append(handle)
        run_id: int | None = None
        try:
            async for event in handle.events():
                if isinstance(event, Refused):
                    self.deploymentRefused.emit(event.message)
                elif isinstance(event, Waiting):
                    self.deploymentWaiting.emit(f"{job.label}: waiting for the {event.holder}")
                elif isinstance(event, Started):
                    plan = job.plan
                    row = await self.store.create(
                        plan.name, plan.cluster, plan.strategy, text, job.target_url
                    )
                    run_id = row["id"]
                    job.run_id = run_id
                    self.jobs[run_id] = handle
                    self.live[run_id] = Timeline()
                    self.deploymentStarted.emit(row)
                elif run_id is None:
                    continue
                elif isinstance(event, DeployEvent):
                    await self._take(run_id, event.event)
                elif isinstance(event, Finished):
                    await self._finish(run_id, event.status, event.message, event.summary)
        except asyncio.CancelledError:
            if run_id is not None:
                await asyncio.shield(
                    self._finish(run_id, RunStatus.INTERRUPTED, "app closing", None)
                )
            raise
        except Exception as exc:  # the run ends FAILED with why; nothing else goes down
            log.exception("deployment %s failed", run_id)
            if run_id is not None:
                await self._finish(run_id, RunStatus.FAILED, f"the deployment broke: {exc}", None)
        finally:
            self.waiting.remove(handle)
            if run_id is not None:
                self.jobs.pop(run_id, None)

    async def _take(self, run_id: int, event: dict[str, Any]) -> None:
        await self.store.add_event(run_id, event)
        timeline = self.live[run_id]
        marks = len(timeline.marks)
        timeline.take(event)
        if len(timeline.marks) > marks:
            self.marks.extend(timeline.marks[marks:])
            self.marksChanged.emit(self.marks)
        self.eventReceived.emit(run_id, event)

    async def _finish(
        self, run_id: int, status: RunStatus, message: str, summary: dict[str, Any] | None
    ) -> None:
        row = await self.store.finish(run_id, status, message, summary or None)
        self.live.pop(run_id, None)
        self.deploymentFinished.emit(row)

    def running(self) -> int | None:
        return max(self.jobs, default=None)

    def approve(self, run_id: int, yes: bool = True) -> bool:
        future = self._approvals.pop(run_id, None)  # answered once: the buttons go off now
        if future is None or future.done():
            return False
        future.set_result(yes)
        return True

    def pending_approval(self, run_id: int) -> bool:
        return run_id in self._approvals

    async def abort(self, run_id: int | None = None) -> None:
        """Stop the deployment and roll it back (an approval waiting is answered no)."""
        run_id = self.running() if run_id is None else run_id
        if run_id is None:
            return
        self.approve(run_id, False)
        await self.cancel(run_id)

    async def rollback_now(self, run_id: int) -> str | None:
        """Run a finished deployment's nodes back to what they ran before it, as a deployment
        of its own (same cluster, strategy and gates). A message when it cannot."""
        if run_id in self.jobs:
            await self.abort(run_id)
            return None
        row = next((r for r in await self.store.runs() if r["id"] == run_id), None)
        if row is None:
            return "no such deployment"
        before = row["summary"].get("from_versions") or {}
        versions = {(v.get("executable"), tuple(v.get("args", []))) for v in before.values()}
        if row["summary"].get("status") != "succeeded":
            return "only a deployment that succeeded changed anything to roll back"
        if len(versions) != 1:
            return "its nodes ran different versions before it: roll them back one by one"
        executable, args = versions.pop()
        try:
            plan = parse_plan(row["plan_text"])
        except PlanError as exc:
            return str(exc)
        back = plan.model_copy(
            update={
                "name": f"rollback of {plan.name}",
                "version": plan.version.model_copy(
                    update={"executable": executable, "args": list(args)}
                ),
            }
        )
        try:
            job = self._job(row["plan_text"], back)
        except PlanError as exc:
            return str(exc)
        spawn(self._tasks, self._run(job, row["plan_text"]), f"deploy {back.name}")
        return None

    # -- history -----------------------------------------------------------------------------
    async def history(self) -> list[dict[str, Any]]:
        return await self.store.runs()

    async def timeline(self, run_id: int) -> Timeline:
        if run_id in self.live:
            return self.live[run_id]
        return Timeline.of(await self.store.events(run_id))

"""Test runs from the window: one job per run, one queue per target, results streamed into
the app's SQLite and out as signals as each test ends."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.cluster_runs import ClusterRun
from app.jobs.events import Finished, Refused, Started, Waiting
from app.jobs.runner import JobRunner
from app.jobs.status import RunStatus
from app.jobs.test_run import (
    TestFinished,
    TestRunError,
    TestRunJob,
    TestRunPlan,
    TestsCollected,
    prepare,
)
from app.services.connections_service import ConnectionsService
from app.services.fleet_service import FleetService
from app.services.lifecycle import Lifecycle
from app.services.node_service import NodeService
from app.services.run_targets import run_target_resolver
from app.services.running_runs import RunningRuns
from app.services.settings_service import SettingsService
from app.storage.test_runs import TestRunStore
from app.suites import BUNDLED, SuiteError, suite_path
from app.targets import ACTIVE, RunTarget, TargetError
from app.tasks import spawn
from app.test_results import RunTally

log = logging.getLogger("chaindeck.tests")


class TestRunService(QObject, RunningRuns, Lifecycle):
    __test__ = False

    runStarted = Signal(object)  # the run's row
    testsCollected = Signal(int, object)  # run id, node ids
    resultAdded = Signal(int, object)  # run id, one test's result
    runFinished = Signal(object)  # the run's final row
    runRefused = Signal(str)  # could not start: why, for the user
    runWaiting = Signal(str)  # queued behind another run on its target: what it waits for
    clusterFinished = Signal(str)  # every node's run of a cluster ended: the verdict in words

    def __init__(
        self,
        store: TestRunStore,
        logs: Path,
        node: NodeService,
        connections: ConnectionsService,
        fleet: FleetService,
        settings: SettingsService,
        runner: JobRunner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.logs = logs
        self.node = node
        self.connections = connections
        self.fleet = fleet
        self.settings = settings
        self.runner = runner or JobRunner()
        self.resolver = run_target_resolver(node, connections, fleet)
        RunningRuns.__init__(self)

    # -- suites -------------------------------------------------------------------------------
    def suite_choices(self) -> list[str]:
        """The bundled suites, then the user's own folders (kept in the app's settings)."""
        return [*BUNDLED, *self.settings.get("test_suite_folders", [])]

    def add_suite_folder(self, folder: str) -> bool:
        try:
            path = str(suite_path(folder))
        except SuiteError as exc:
            self.runRefused.emit(str(exc))
            return False
        folders = self.settings.get("test_suite_folders", [])
        if path not in folders:
            self.settings.set("test_suite_folders", [*folders, path])
        return True

    # -- targets -------------------------------------------------------------------------------
    def target_names(self) -> list[str]:
        return self.resolver.names()

    def targets(self, name: str) -> list[RunTarget]:
        """What a target name means: one node, or every node of a cluster (one run each)."""
        try:
            return self.resolver.resolve(name)
        except TargetError as exc:
            raise TestRunError(str(exc)) from None

    def target(self, name: str) -> RunTarget:
        try:
            return self.resolver.resolve_one(name)
        except TargetError as exc:
            raise TestRunError(str(exc)) from None

    # -- runs ----------------------------------------------------------------------------------
    def run_suites(
        self,
        suites: list[str],
        target_names: list[str],
        only: list[str] | None = None,
        *,
        alongside: bool = False,
    ) -> bool:
        """Queue one run per target. False (and `runRefused`) when the input is wrong.
        `alongside`: start now even where another run holds the target."""
        try:
            plans = [
                prepare(suites, target, only=only)
                for name in target_names
                for target in self.targets(name)
            ]
            if not plans:
                raise TestRunError("choose a target")
        except TestRunError as exc:
            self.runRefused.emit(str(exc))
            return False
        together = ClusterRun([plan.target.label for plan in plans]) if len(plans) > 1 else None
        for plan in plans:
            spawn(
                self._tasks,
                self._run(plan, alongside, together),
                f"test-run {plan.target.label}",
            )
        return True

    async def rerun_failed(self, run_id: int) -> bool:
        run = await self.store.run(run_id)
        failed = [
            r["nodeid"]
            for r in await self.store.results(run_id)
            if r["outcome"] in ("failed", "error")
        ]
        if not failed:
            self.runRefused.emit(f"run #{run_id} has no failed tests to run again")
            return False
        name = run["target_name"]
        try:
            self.resolver.resolve_one(name)
        except TargetError:
            name = ACTIVE
        return self.run_suites(run["suites"], [name], only=failed)

    async def _run(
        self, plan: TestRunPlan, alongside: bool, together: ClusterRun | None = None
    ) -> None:
        job = TestRunJob(plan, self.logs / "test-run.log")
        handle = self.runner.submit(job, alongside=alongside)
        self.waiting.append(handle)
        base = {"suites": plan.suites, "target_url": plan.target.url}
        base["target_name"] = plan.target.label
        run_id: int | None = None
        try:
            async for event in handle.events():
                if isinstance(event, Refused):
                    row = await self.store.create({**base, "node_kind": plan.target.kind or ""})
                    self.runStarted.emit(row)
                    await self._finish(row["id"], RunStatus.FAILED, job.tally, event.message)
                    self._node_ended(together, plan, False, event.message)
                elif isinstance(event, Waiting):
                    self.runWaiting.emit(f"{plan.target.label}: waiting for the {event.holder}")
                elif isinstance(event, Started):
                    info = job.info
                    assert info is not None
                    row = await self.store.create(
                        {
                            **base,
                            "node_kind": info.kind,
                            "node_version": info.version,
                            "height_at_start": info.height,
                        }
                    )
                    run_id = row["id"]
                    job.log_path = self.logs / f"test-run-{run_id}.log"
                    self.jobs[run_id] = handle
                    self.runStarted.emit(row)
                elif isinstance(event, TestsCollected) and run_id is not None:
                    self.testsCollected.emit(run_id, event.nodeids)
                elif isinstance(event, TestFinished) and run_id is not None:
                    await self.store.add_result(run_id, event.result)
                    self.resultAdded.emit(run_id, event.result)
                elif isinstance(event, Finished) and run_id is not None:
                    row = await self._finish(run_id, event.status, job.tally, event.message)
                    passed = event.status == RunStatus.SUCCEEDED
                    self._node_ended(together, plan, passed, row["message"])
                elif isinstance(event, Finished):  # left the queue before it started
                    self.runWaiting.emit(f"{plan.target.label}: {event.message}")
                    self._node_ended(together, plan, False, event.message)
        except asyncio.CancelledError:
            if run_id is not None:
                await asyncio.shield(
                    self._finish(run_id, RunStatus.CANCELLED, job.tally, "app closing")
                )
            raise
        except Exception as exc:  # the run ends FAILED with why; nothing else goes down
            log.exception("test run %s failed", run_id)
            if run_id is not None:
                await self._finish(run_id, RunStatus.FAILED, job.tally, f"the run broke: {exc}")
        finally:
            self.waiting.remove(handle)
            if run_id is not None:
                self.jobs.pop(run_id, None)

    async def _finish(
        self, run_id: int, status: RunStatus, tally: RunTally, message: str = ""
    ) -> dict[str, Any]:
        if status == RunStatus.FAILED and not message:
            message = f"{tally.failed_text()} of {tally.total} tests"  # why, kept with the run
        row = await self.store.finish(run_id, status, tally.counts, tally.total, message)
        self.runFinished.emit(row)
        return row

    def _node_ended(
        self, together: ClusterRun | None, plan: TestRunPlan, passed: bool, why: str
    ) -> None:
        if together is None:
            return
        together.finish(plan.target.label, passed, why)
        if together.done:
            self.clusterFinished.emit(together.summary())

    # -- history -------------------------------------------------------------------------------
    async def history(self) -> list[dict[str, Any]]:
        return await self.store.runs()

    async def run(self, run_id: int) -> dict[str, Any]:
        return await self.store.run(run_id)

    async def results(self, run_id: int) -> list[dict[str, Any]]:
        return await self.store.results(run_id)

    async def compare(self, older: int, newer: int) -> dict[str, list[str]]:
        return await self.store.compare(older, newer)

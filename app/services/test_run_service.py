"""Test runs from the window: one job per run, one queue per target, results streamed into
the app's SQLite and out as signals as each test ends."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app import credentials
from app.jobs.test_run import RunTarget, TestRunError, TestRunJob, TestRunPlan, prepare
from app.services.connections_service import DEVNET, ConnectionsService, ProfileError
from app.services.fleet_service import FleetService
from app.services.node_service import NodeService
from app.storage import test_runs as states
from app.storage.test_runs import TestRunStore
from app.suites import BUNDLED, SuiteError, suite_path
from app.tasks import cancel_all, spawn
from app.test_results import RunTally

log = logging.getLogger("chaindeck.tests")
ACTIVE = "Active node"
CLUSTER = "Cluster: "  # a target name that starts so means every node of that cluster


class TestRunService(QObject):
    __test__ = False

    runStarted = Signal(object)  # the run's row
    testsCollected = Signal(int, object)  # run id, node ids
    resultAdded = Signal(int, object)  # run id, one test's result
    runFinished = Signal(object)  # the run's final row
    runRefused = Signal(str)  # could not start: why, for the user

    def __init__(
        self,
        store: TestRunStore,
        logs: Path,
        node: NodeService,
        connections: ConnectionsService,
        fleet: FleetService,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.logs = logs
        self.node = node
        self.connections = connections
        self.fleet = fleet
        self.jobs: dict[int, TestRunJob] = {}
        self._queues: dict[str, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        store.interrupt_running()

    # -- suites -------------------------------------------------------------------------------
    def suite_choices(self) -> list[str]:
        """The bundled suites, then the user's own folders (kept in the app's settings)."""
        return [*BUNDLED, *self.store.app_db.get_setting("test_suite_folders", [])]

    def add_suite_folder(self, folder: str) -> bool:
        try:
            path = str(suite_path(folder))
        except SuiteError as exc:
            self.runRefused.emit(str(exc))
            return False
        folders = self.store.app_db.get_setting("test_suite_folders", [])
        if path not in folders:
            self.store.app_db.set_setting("test_suite_folders", [*folders, path])
        return True

    # -- targets -------------------------------------------------------------------------------
    def target_names(self) -> list[str]:
        return (
            [ACTIVE]
            + [p["name"] for p in self.connections.profiles]
            + [CLUSTER + name for name in self.fleet.names()]
        )

    def targets(self, name: str) -> list[RunTarget]:
        """What a target name means: one node, or every node of a cluster (one run each)."""
        if name.startswith(CLUSTER):
            try:
                members = self.fleet.members(name.removeprefix(CLUSTER))
            except ProfileError as exc:
                raise TestRunError(str(exc)) from None
            return [RunTarget(m.url, m.kind, m.name, m.username, m.password) for m in members]
        return [self.target(name)]

    def _cluster_member(self, name: str) -> RunTarget | None:
        """A node of a cluster by its name (`Local producer`): re-runs of one cluster run."""
        for cluster in self.fleet.names():
            try:
                members = self.fleet.members(cluster)
            except ProfileError:
                continue
            for m in members:
                if m.name == name:
                    return RunTarget(m.url, m.kind, m.name, m.username, m.password)
        return None

    def target(self, name: str) -> RunTarget:
        """The active node (with the credentials the window uses) or a saved profile."""
        if name == ACTIVE:
            client = self.node.client
            if client is None:
                raise TestRunError("no node is connected; connect one or choose a saved one")
            label = self.node.name or DEVNET
            return RunTarget(client.url, client.kind, label, client.username, client.password)
        profile = self.connections.profile(name)
        if profile is None:
            member = self._cluster_member(name)
            if member is not None:
                return member
            raise TestRunError(f"no saved connection named “{name}”")
        password = credentials.profile_password(profile)
        kind = profile.get("kind") or None
        return RunTarget(profile["url"], kind, name, profile.get("username") or None, password)

    # -- runs ----------------------------------------------------------------------------------
    def start(
        self, suites: list[str], target_names: list[str], only: list[str] | None = None
    ) -> bool:
        """Queue one run per target. False (and `runRefused`) when the input is wrong."""
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
        for plan in plans:
            spawn(self._tasks, self._run(plan), f"test-run {plan.target.label}")
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
        if name not in self.target_names() and self._cluster_member(name) is None:
            name = ACTIVE
        return self.start(run["suites"], [name], only=failed)

    async def _run(self, plan: TestRunPlan) -> None:
        queue = self._queues.setdefault(plan.target.url, asyncio.Lock())
        async with queue:
            await self._run_now(plan)

    async def _run_now(self, plan: TestRunPlan) -> None:
        job = TestRunJob(plan, self.logs / "test-run.log")
        base = {
            "suites": plan.suites,
            "target_url": plan.target.url,
            "target_name": plan.target.label,
        }
        try:
            info = await job.probe()
        except TestRunError as exc:
            row = await self.store.create({**base, "kind": plan.target.kind or ""})
            self.runStarted.emit(row)
            self.runFinished.emit(
                await self.store.finish(row["id"], states.FAILED, {}, 0, str(exc))
            )
            return
        row = await self.store.create(
            {
                **base,
                "kind": info.kind,
                "node_version": info.version,
                "height_at_start": info.height,
            }
        )
        run_id = row["id"]
        job.log_path = self.logs / f"test-run-{run_id}.log"
        self.jobs[run_id] = job
        self.runStarted.emit(row)
        tally = RunTally()
        code: int | None = None
        output = ""
        try:
            async for event in job.events():
                kind = event["event"]
                if kind == "collected":
                    tally.collected(event["tests"])
                    self.testsCollected.emit(run_id, event["tests"])
                elif kind == "test":
                    tally.add(event)
                    await self.store.add_result(run_id, event)
                    self.resultAdded.emit(run_id, event)
                elif kind == "exited":
                    code, output = event["code"], event["output"]
        except asyncio.CancelledError:
            await asyncio.shield(self._finish(run_id, states.CANCELLED, tally, "app closing"))
            raise
        except Exception as exc:  # the run ends FAILED with why; nothing else goes down
            log.exception("test run %d failed", run_id)
            await self._finish(run_id, states.FAILED, tally, f"the run broke: {exc}")
            return
        finally:
            self.jobs.pop(run_id, None)
        if job.cancelled:
            await self._finish(run_id, states.CANCELLED, tally, "cancelled")
        elif tally.all_passed and code == 0:
            await self._finish(run_id, states.SUCCEEDED, tally)
        else:
            message = "" if tally.done else (output.strip().splitlines() or ["no tests ran"])[-1]
            await self._finish(run_id, states.FAILED, tally, message)

    async def _finish(self, run_id: int, status: str, tally: RunTally, message: str = "") -> None:
        row = await self.store.finish(run_id, status, tally.counts, tally.total, message)
        self.runFinished.emit(row)

    async def cancel(self, run_id: int | None = None) -> None:
        """Cancel one run, or every running one."""
        if run_id is None:
            jobs = list(self.jobs.values())
        elif run_id in self.jobs:
            jobs = [self.jobs[run_id]]
        else:
            return
        await asyncio.gather(*(job.cancel() for job in jobs))

    async def stop(self) -> None:
        """On quit: cancel runs (their rows end CANCELLED), then the tasks."""
        await self.cancel()
        await cancel_all(self._tasks)

    # -- history -------------------------------------------------------------------------------
    async def history(self) -> list[dict[str, Any]]:
        return await self.store.runs()

    async def results(self, run_id: int) -> list[dict[str, Any]]:
        return await self.store.results(run_id)

    async def compare(self, older: int, newer: int) -> dict[str, list[str]]:
        return await self.store.compare(older, newer)

"""Load runs from the window: the same job `chaindeck load` runs, queued on the shared runner,
its ticks stored as they come and sent on as signals; users changed live, the hold ended on
request, cancel at any moment."""

from __future__ import annotations

import asyncio
import csv
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.health.series import METRICS
from app.jobs.events import Finished, Refused, Started, Waiting
from app.jobs.runner import JobRunner
from app.jobs.status import RunStatus
from app.load.html_report import write_html
from app.load.job import LoadJob, LoadPhase, LoadProgress, LoadTick
from app.load.plan import LoadError, LoadOptions, LoadPlan
from app.load.remote_workers import parse_host
from app.load.scenarios import SCENARIOS
from app.load.thresholds import ThresholdError, parse_threshold
from app.services.fleet_service import FleetService
from app.services.health_service import HealthService
from app.services.lifecycle import Lifecycle
from app.services.running_runs import RunningRuns
from app.storage.load_runs import LoadRunStore
from app.targets import TargetError, TargetResolver
from app.tasks import spawn

log = logging.getLogger("chaindeck.load")
TICK_COLUMNS = ("t", "at", "phase", "users", "rps", "failures_s", "p50", "p95", "p99", "sent",
                "accepted", "rejected", "included", "pending", "dropped", "inclusion_p95",
                "lag_p95", "cpu_max")  # fmt: skip


class LoadService(QObject, RunningRuns, Lifecycle):
    runStarted = Signal(object)  # the run's row
    progressed = Signal(int, str)  # run id, what happens before the clock starts
    phaseChanged = Signal(int, str)  # run id, ramp / hold / drain
    tickReceived = Signal(int, object)  # run id, the second's figures
    runFinished = Signal(object)  # the run's final row (summary: the spec's report)
    runRefused = Signal(str)  # could not start: why, for the user
    runWaiting = Signal(str)  # queued behind another run on its target
    targetsChanged = Signal()  # a profile or cluster came or went: the names changed

    def __init__(
        self,
        store: LoadRunStore,
        logs: Path,
        resolver: TargetResolver,
        runner: JobRunner,
        health: HealthService | None = None,
        fleet: FleetService | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.logs = logs
        self.resolver = resolver
        self.runner = runner
        self.health = health
        self.fleet = fleet
        RunningRuns.__init__(self)

    # -- choices ---------------------------------------------------------------------------------
    def scenario_choices(self) -> list[str]:
        return list(SCENARIOS)

    def target_names(self) -> list[str]:
        return self.resolver.names()

    @staticmethod
    def threshold_problem(lines: list[str]) -> str | None:
        """The first threshold that does not parse, said for the user; None when all do."""
        for line in (line.strip() for line in lines):
            if not line:
                continue
            try:
                parse_threshold(line)
            except ThresholdError as exc:
                return str(exc)
        return None

    @staticmethod
    def ssh_worker_problem(specs: list[str]) -> str | None:
        """The first `USER@HOST[:PORT]` that is not one, said for the user; None when all are."""
        for spec in specs:
            try:
                parse_host(spec, None, None)
            except LoadError as exc:
                return str(exc).removeprefix("--ssh-worker ")
        return None

    # -- runs ------------------------------------------------------------------------------------
    def run_load(self, target_name: str, options: LoadOptions, *, alongside: bool = False) -> bool:
        """Queue a run; False (and `runRefused`) when the input is wrong."""
        try:
            targets = self.resolver.resolve(target_name)
            plan = options.plan(targets)
        except (TargetError, LoadError) as exc:
            self.runRefused.emit(str(exc))
            return False
        spawn(self._tasks, self._run(plan, options, alongside), f"load {plan.target.label}")
        return True

    async def _run(self, plan: LoadPlan, options: LoadOptions, alongside: bool) -> None:
        run_dir = Path(tempfile.mkdtemp(prefix="chaindeck-load-"))  # holds the senders' keys
        job = LoadJob(plan, run_dir)
        handle = self.runner.submit(job, alongside=alongside)
        self.waiting.append(handle)
        run_id: int | None = None
        try:
            async for event in handle.events():
                if isinstance(event, Refused):
                    self.runRefused.emit(event.message)
                elif isinstance(event, Waiting):
                    self.runWaiting.emit(f"{plan.target.label}: waiting for the {event.holder}")
                elif isinstance(event, Started):
                    row = await self.store.create(self._detail(plan, options, job))
                    run_id = row["id"]
                    job.log_path = self.logs / f"load-run-{run_id}.log"
                    self.jobs[run_id] = handle
                    self.runStarted.emit(row)
                elif run_id is None:
                    if isinstance(event, Finished):  # left the queue before it started
                        self.runWaiting.emit(f"{plan.target.label}: {event.message}")
                elif isinstance(event, LoadProgress):
                    self.progressed.emit(run_id, event.message)
                elif isinstance(event, LoadPhase):
                    self.phaseChanged.emit(run_id, event.phase)
                elif isinstance(event, LoadTick):
                    await self.store.add_tick(run_id, event.tick)
                    self.tickReceived.emit(run_id, event.tick)
                elif isinstance(event, Finished):
                    await self._finish(run_id, event.status, event.message, event.summary)
        except asyncio.CancelledError:
            if run_id is not None:
                await asyncio.shield(
                    self._finish(run_id, RunStatus.CANCELLED, "app closing", job.report())
                )
            raise
        except Exception as exc:  # the run ends FAILED with why; nothing else goes down
            log.exception("load run %s failed", run_id)
            if run_id is not None:
                await self._finish(run_id, RunStatus.FAILED, f"the run broke: {exc}", None)
        finally:
            self.waiting.remove(handle)
            if run_id is not None:
                self.jobs.pop(run_id, None)
            shutil.rmtree(run_dir, ignore_errors=True)

    @staticmethod
    def _detail(plan: LoadPlan, options: LoadOptions, job: LoadJob) -> dict[str, Any]:
        info = job.info
        return {
            "target_url": plan.target.url,
            "target_name": plan.target.label,
            "scenario": plan.scenario,
            "node_kind": info.kind if info else "",
            "node_version": info.version if info else "",
            "users": plan.max_users,
            "workers": plan.workers,
            "hold_s": plan.hold_s,
            "rate": plan.rate,
            "options": options.as_dict(),
        }

    async def _finish(
        self, run_id: int, status: RunStatus, message: str, report: dict[str, Any] | None
    ) -> None:
        row = await self.store.finish(run_id, status, message, report or None)
        self.runFinished.emit(row)

    def running(self) -> int | None:
        """The newest running run's id."""
        return max(self.jobs, default=None)

    def set_users(self, users: int, run_id: int | None = None) -> bool:
        job = self._job(run_id)
        return job is not None and job.set_users(users)

    def end_hold(self, run_id: int | None = None) -> bool:
        job = self._job(run_id)
        return job is not None and job.end_hold()

    def _job(self, run_id: int | None) -> LoadJob | None:
        run_id = self.running() if run_id is None else run_id
        handle = self.jobs.get(run_id) if run_id is not None else None
        return handle.job if handle is not None and isinstance(handle.job, LoadJob) else None

    # -- history ---------------------------------------------------------------------------------
    async def history(self) -> list[dict[str, Any]]:
        return await self.store.runs()

    async def ticks(self, run_id: int) -> list[dict[str, Any]]:
        return await self.store.ticks(run_id)

    async def node_figures(
        self, url: str, ticks: list[dict[str, Any]]
    ) -> dict[str, np.ndarray] | None:
        """The target node's own figures over the run's seconds, from the health history (when
        the fleet watches that node): `t` on the run's clock, block time (ms), mempool, CPU %."""
        if self.health is None or self.fleet is None or not ticks or not ticks[0].get("at"):
            return None
        name = self.fleet.watched_name(url)
        if name is None:
            return None
        first, last = int(ticks[0]["at"]), int(ticks[-1]["at"])
        since = max(60, int(time.time()) - first + 5)
        t, values = await self.health.series(name, since)
        keep = (t >= first) & (t <= last)
        if not keep.any():
            return None
        column = {m: values[keep, METRICS.index(m)] for m in ("block_time", "mempool", "cpu_pct")}
        return {
            "t": t[keep] - first + int(ticks[0]["t"]),
            "block_time_ms": column["block_time"] * 1000,
            "mempool": column["mempool"],
            "cpu_pct": column["cpu_pct"],
        }

    async def export_html(self, run_id: int, path: str) -> None:
        """The same self-contained page as `chaindeck load --html`."""
        run = await self.store.run(run_id)
        if not run["summary"].get("latency_ms"):
            raise ValueError("this run has no figures to report")
        ticks = await self.store.ticks(run_id)
        await asyncio.to_thread(write_html, Path(path), run["summary"], ticks)

    async def export_csv(self, run_id: int, path: str) -> None:
        ticks = await self.store.ticks(run_id)

        def write() -> None:
            with open(path, "w", newline="", encoding="utf-8") as file:
                out = csv.DictWriter(file, TICK_COLUMNS, extrasaction="ignore")
                out.writeheader()
                out.writerows(ticks)

        await asyncio.to_thread(write)

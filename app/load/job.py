"""A load run as a job (DESIGN.md): senders funded first, then a Locust master and K workers in
one process group, one tick a second from the master's pipe, commands back through another, and
the verdict judged here from the run's own figures.

    job = LoadJob(check(plan), run_dir)
    runner.submit(job).events()   # Started, LoadProgress, LoadPhase, LoadTick..., Exited, Finished
    job.set_users(50); job.end_hold()
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.clients.errors import NodeError
from app.clients.probe import NodeInfo, probe
from app.jobs.events import Exited, Finished, JobEvent
from app.jobs.process_job import ProcessJob
from app.jobs.status import RunStatus
from app.load.funding import NEEDS_OPERATOR, Senders, fund_senders
from app.load.plan import LoadError, LoadPlan
from app.load.remote_workers import RemoteWorkers
from app.load.scenarios import LOCUSTFILES, locustfile
from app.load.thresholds import judge
from app.remote.ssh import SshError
from app.resources import locust_command

WORKERS_WITHIN = 30  # s for every worker to join the master


@dataclass(frozen=True)
class LoadProgress:
    message: str  # before the clock starts: funding, starting the engine


@dataclass(frozen=True)
class LoadPhase:
    phase: str  # ramp, hold, drain


@dataclass(frozen=True)
class LoadTick:
    tick: dict[str, Any]  # the spec's once-a-second figures


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LoadJob(ProcessJob):
    kind = "load"
    takes_commands = True
    cancel_grace = 8.0  # the master writes the figures so far before it goes

    def __init__(self, plan: LoadPlan, run_dir: Path) -> None:
        super().__init__(run_dir / "locust.log")
        self.plan = plan
        self.run_dir = run_dir
        bind = plan.master_bind or ("127.0.0.1", 0)
        self.bind_host, self.port = bind[0], bind[1] or free_port()
        self.info: NodeInfo | None = None
        self.senders: Senders | None = None
        self.ticks: list[dict[str, Any]] = []
        self.summary: dict[str, Any] | None = None
        self.started = self.ended = ""
        self._exited: Exited | None = None
        self._finished: Finished | None = None

    @property
    def workers(self) -> int:
        """Local and remote: those the master waits for."""
        return self.plan.workers + len(self.plan.ssh_workers)

    @property
    def target_url(self) -> str:
        return self.plan.target.url

    @property
    def label(self) -> str:
        return self.plan.target.label

    # -- the engine's processes ----------------------------------------------------------------
    @property
    def node_kind(self) -> str:
        return self.info.kind if self.info else self.plan.kind or "native"

    def files(self) -> str:
        return f"{LOCUSTFILES / 'chaindeck.py'},{locustfile(self.plan.scenario, self.node_kind)}"

    def command(self, events_fd: int) -> list[str]:
        return [
            *locust_command(),
            "-f", self.files(),
            "--master", "--headless",
            "--master-bind-host", self.bind_host,
            "--master-bind-port", str(self.port),
            "--expect-workers", str(self.workers),
            "--expect-workers-max-wait", str(WORKERS_WITHIN),
            "--host", self.plan.target.url,
            "--chaindeck-plan", str(self.run_dir / "plan.json"),
            "--chaindeck-events-fd", str(events_fd),
            "--chaindeck-commands-fd", str(self.commands_fd),
            "--loglevel", "WARNING",
            "--only-summary",
        ]  # fmt: skip

    def companions(self) -> list[list[str]]:
        worker = [
            *locust_command(),
            "-f", self.files(),
            "--worker",
            "--master-host", "127.0.0.1" if self.bind_host in ("0.0.0.0", "::") else self.bind_host,
            "--master-port", str(self.port),
            "--loglevel", "WARNING",
        ]  # fmt: skip
        return [worker] * self.plan.workers

    def working_dir(self) -> str:
        return str(self.run_dir)

    def engine_plan(self) -> dict[str, Any]:
        plan, senders = self.plan, self.senders
        return {
            "hosts": [t.url for t in plan.targets],
            "kind": self.node_kind,
            "scenario": plan.scenario,
            "users": plan.users,
            "spawn_rate": plan.start_rate,
            "stages": plan.stages,
            "ramp_s": plan.ramp_s,
            "hold_s": plan.hold_s,
            "drain_s": plan.drain,
            "sends": plan.sends,
            "rate": plan.rate,
            "workers": self.workers,
            "chain_id": senders.chain_id if senders else "",
            "senders": senders.seeds if senders else [],
            "gas_price": senders.gas_price if senders else 0,
            "sink": "0x" + os.urandom(20).hex(),  # where the transfers' coins go: nobody's
        }

    # -- live control ----------------------------------------------------------------------------
    def set_users(self, users: int) -> bool:
        return self.send({"cmd": "users", "users": int(users)})

    def end_hold(self) -> bool:
        """Stop sending now, then drain and judge, as if the hold had ended (a second time: stop
        waiting for the drain)."""
        return self.send({"cmd": "stop"})

    # -- as a job of the runner ----------------------------------------------------------------
    async def prepare(self) -> str | None:
        target = self.plan.target
        try:
            self.info = await probe(target.url, self.plan.kind)
        except NodeError as exc:
            return str(exc)
        if self.info.private:
            return (
                f"{target.url} is a --private node, where every read needs a token: load runs "
                "do not carry one yet (run it against a node without --private)"
            )
        needs_operator = self.info.kind == "native" and self.plan.sends
        if needs_operator and (not target.username or target.password is None):
            return NEEDS_OPERATOR
        return None

    async def run(self) -> AsyncIterator[JobEvent]:
        self.started = _now()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        remote = RemoteWorkers(
            self.plan.ssh_workers, self.plan.ssh_chaindeck, self.run_dir / "remote-workers.log"
        )
        try:
            await remote.connect()  # first: a host that cannot be reached costs no funding
        except SshError as exc:
            await remote.close()
            yield Finished(RunStatus.FAILED, f"a remote worker cannot start: {exc}")
            return
        try:
            async for event in self._run(remote):
                yield event
        finally:
            await remote.close()
        for problem in remote.problems:
            yield LoadProgress(problem)
        if self._finished is not None:
            yield self._finished

    async def _run(self, remote: RemoteWorkers) -> AsyncIterator[JobEvent]:
        """The run's events but the last; `self._finished` is that one."""
        self._finished = None
        if self.plan.sends:
            messages: list[str] = []
            try:
                needed = self.plan.senders_needed()
                self.senders = await fund_senders(
                    self.plan.target, needed, messages.append, self.node_kind
                )
            except LoadError as exc:
                self._finished = Finished(RunStatus.FAILED, str(exc))
                return
            for message in messages:
                yield LoadProgress(message)
        if self.cancelled:
            self._finished = Finished(RunStatus.CANCELLED, "cancelled before the load started")
            return
        plan_file = self.run_dir / "plan.json"
        fd = os.open(plan_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # sender keys
        with os.fdopen(fd, "w") as out:
            json.dump(self.engine_plan(), out)
        over_ssh = ", ".join(h.where for h in remote.hosts)
        yield LoadProgress(
            f"starting Locust: a master and {self.plan.workers} worker(s)"
            + (f" and {len(remote.hosts)} over SSH ({over_ssh})" if remote.hosts else "")
        )
        remote.start(self.port)
        async for event in self._engine_events():
            yield event
        self.ended = _now()
        self._finished = self.verdict(self._exited)

    async def _engine_events(self) -> AsyncIterator[JobEvent]:
        exited: Exited | None = None
        async for event in self.events():
            kind = event["event"]
            if kind == "tick":
                self.ticks.append(event)
                yield LoadTick(event)
            elif kind == "phase":
                yield LoadPhase(event["phase"])
            elif kind == "summary":
                self.summary = event
            elif kind == "exited":
                exited = Exited(event["code"], event["cancelled"], event["output"])
                yield exited
        self._exited = exited

    def verdict(self, exited: Exited | None) -> Finished:
        if self.summary is None:
            if self.cancelled:
                return Finished(RunStatus.CANCELLED, "cancelled")
            tail = exited.output if exited else ""
            return Finished(RunStatus.FAILED, "the load engine stopped before it reported\n" + tail)
        report = self.report()
        if self.cancelled or self.summary.get("cancelled"):
            return Finished(RunStatus.CANCELLED, "cancelled", report)
        failed = [t["message"] for t in report["thresholds"] if not t["ok"]]
        status = RunStatus.FAILED if failed else RunStatus.SUCCEEDED
        return Finished(status, "\n".join(failed), report)

    def report(self) -> dict[str, Any]:
        """The spec's summary object."""
        figures = {k: v for k, v in (self.summary or {}).items() if k not in ("event", "cancelled")}
        judged = [judge(figures, t) for t in self.plan.thresholds]
        return {
            "type": "summary",
            "target": self.plan.target.url,
            "targets": [t.url for t in self.plan.targets],
            "kind": self.node_kind,
            "scenario": self.plan.scenario,
            "started": self.started,
            "ended": self.ended or _now(),
            **figures,
            "senders": self.senders.addresses if self.senders else [],
            "thresholds": judged,
            "ok": all(t["ok"] for t in judged) and not self.cancelled,
        }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

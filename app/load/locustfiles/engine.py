"""ChainDeck inside Locust: per-second figures, the run's phases, and the link to the job.

Locust reports to its master every 3 s and its "current" percentiles cover ~10 s, so each worker
counts its own seconds (`app/load/second.py`) and sends each to the master as it ends; the master
adds them up and writes one JSON line a second on the pipe the job gave it
(`--chaindeck-events-fd`), and reads commands (users, stop) from another
(`--chaindeck-commands-fd`). The shape drives the phases: ramp, hold, drain (users stopped, the
inclusion trackers still counting), then the summary and the end.

Only this folder imports locust (an import-linter contract): importing it monkey-patches the
standard library, so it runs in Locust's processes and nowhere else.
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import Any

import gevent
import gevent.os
import psutil
from locust import LoadTestShape, events
from locust.env import Environment
from locust.rpc import Message
from locust.runners import MasterRunner, WorkerRunner

from app.load.second import Second
from app.load.summary import summarise

MESSAGE = "chaindeck_second"
SETTLE_S = 2  # a second is added up this long after it ends: every worker has sent it by then
STOP_RATE = 10_000.0  # users stopped a second when a phase ends


class Run:
    """This process's part of the run (one per Locust process)."""

    def __init__(self) -> None:
        self.plan: dict[str, Any] = {}
        self.environment: Environment | None = None
        self.current = Second()
        self.pending = 0  # this worker's transfers accepted and not yet seen in a block
        self.process = psutil.Process()
        # master only
        self.out: Any = None
        self.seconds: dict[int, Second] = {}
        self.t0: float | None = None  # when the first user started (epoch s)
        self.hold_start: float | None = None
        self.hold_end: float | None = None
        self.drain_end: float | None = None
        self.users_override: int | None = None
        self.stops = 0  # "stop" commands: the first ends the hold, a second one the drain
        self.pending_by_worker: dict[str, tuple[int, int]] = {}  # its latest second, pending
        self.by_worker: dict[str, Second] = {}  # each worker's whole run, by its label
        self.hold = Second()
        self.whole = Second()
        self.cpu: list[float] = []
        self.last_pending = 0
        self.users_max = 0
        self.emitted_to = 0
        self.summary_written = False

    # -- both ------------------------------------------------------------------------------------
    def worker_index(self) -> int:
        runner = self.environment.runner if self.environment else None
        return max(0, getattr(runner, "worker_index", 0))

    def emit(self, event: dict[str, Any]) -> None:
        if self.out is not None:
            self.out.write(json.dumps(event) + "\n")
            self.out.flush()

    # -- master: the phases --------------------------------------------------------------------
    def phase_at(self, second: float) -> str:
        if self.hold_start is None or second < self.hold_start:
            return "ramp"
        if self.hold_end is None or second < self.hold_end:
            return "hold"
        return "drain"

    def add(self, worker: str, at: int, wire: dict[str, Any], label: str = "") -> None:
        self.seconds.setdefault(at, Second()).add(wire)
        self.pending_by_worker[worker] = (at, wire["pending"])
        self.by_worker.setdefault(label or worker, Second()).add(wire)

    def per_worker(self) -> list[dict[str, Any]]:
        """What each worker did: a result limited by one machine shows as that machine's."""
        return [
            {
                "worker": label,
                "requests": s.requests,
                "failures": s.failures,
                "sent": s.sent,
                "included": s.included,
                "cpu_max": round(s.cpu_max, 1),
            }
            for label, s in sorted(self.by_worker.items())
        ]

    def drained(self) -> bool:
        """Every worker, in a second that began after the hold ended, had nothing pending."""
        if self.hold_end is None or len(self.pending_by_worker) < self.plan.get("workers", 1):
            return False
        after = int(self.hold_end) + 1
        return all(at >= after and n == 0 for at, n in self.pending_by_worker.values())

    def close_seconds(self, until: float) -> None:
        """Emit every second that ended before `until` and add it to the run's totals."""
        start = int(self.t0 or 0)
        for at in sorted(s for s in self.seconds if s < until):
            second = self.seconds.pop(at)
            if at < start:
                continue  # workers count from when they start, the run from its first user
            phase = self.phase_at(at)
            self.whole.add(second.wire())
            if phase == "hold":
                self.hold.add(second.wire())
            cpu = max(second.cpu_max, self.process.cpu_percent(None))
            if phase == "hold":
                self.cpu.append(cpu)
            self.last_pending = second.pending
            self.users_max = max(self.users_max, second.users)
            t = at - start
            second.cpu_max = cpu
            self.emit(second.tick(t, phase, at))
            self.emitted_to = at + 1

    def finish(self, cancelled: bool) -> None:
        if self.summary_written or self.out is None:
            return
        self.close_seconds(float("inf"))
        end = self.hold_end or time.time()
        hold_s = max(0.0, end - self.hold_start) if self.hold_start is not None else 0.0
        summary = summarise(
            self.hold,
            self.whole,
            hold_s=hold_s,
            pending=self.last_pending,
            users_max=self.users_max,
            workers=len(self.pending_by_worker) or self.plan.get("workers", 1),  # who took part
            cpu_by_second=self.cpu,
        )
        summary["per_worker"] = self.per_worker()
        self.emit({"event": "summary", "cancelled": cancelled, **summary})
        self.summary_written = True


RUN = Run()
# How a worker is named in the run's figures: where it runs (a remote worker is told its SSH
# host), and which process.
WORKER_LABEL = (
    f"{os.environ.get('CHAINDECK_WORKER_LABEL') or socket.gethostname()} pid {os.getpid()}"
)


def plan() -> dict[str, Any]:
    return RUN.plan


def current() -> Second:
    return RUN.current


def set_pending(count: int) -> None:
    RUN.pending = count


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--chaindeck-plan", default="", help="ChainDeck's run plan (JSON file)")
    parser.add_argument("--chaindeck-events-fd", type=int, default=-1)
    parser.add_argument("--chaindeck-commands-fd", type=int, default=-1)


@events.init.add_listener
def _init(environment: Environment, **_kw: Any) -> None:
    RUN.environment = environment
    options = environment.parsed_options
    runner = environment.runner
    if isinstance(runner, MasterRunner) or not isinstance(runner, WorkerRunner):
        if options is not None and options.chaindeck_plan:
            with open(options.chaindeck_plan, encoding="utf-8") as file:
                RUN.plan = json.load(file)
            options.chaindeck = RUN.plan  # reaches every worker with Locust's spawn message
        if options is not None and options.chaindeck_events_fd >= 0:
            RUN.out = os.fdopen(options.chaindeck_events_fd, "w", encoding="utf-8")
        if runner is not None:
            runner.register_message(MESSAGE, _on_second)
            gevent.spawn(_master_clock)
        if options is not None and options.chaindeck_commands_fd >= 0:
            gevent.spawn(_read_commands, options.chaindeck_commands_fd)
        environment.process_exit_code = 0  # ChainDeck judges the run, not Locust's exit code
    if isinstance(runner, WorkerRunner):
        gevent.spawn(_worker_clock, runner)


@events.test_start.add_listener
def _test_start(environment: Environment, **_kw: Any) -> None:
    options = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner) and options is not None:
        RUN.plan = getattr(options, "chaindeck", None) or {}


@events.request.add_listener
def _request(name: str, response_time: float, exception: BaseException | None, **_kw: Any) -> None:
    RUN.current.request(name, response_time, _error_text(exception) if exception else None)


@events.user_error.add_listener
def _user_error(exception: BaseException, **_kw: Any) -> None:
    """A scenario that raised: shown with the run's errors, not lost in Locust's log."""
    RUN.current.error(f"user code: {type(exception).__name__}: {_error_text(exception)}")


@events.quitting.add_listener
def _quitting(environment: Environment, **_kw: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner):
        RUN.finish(cancelled=RUN.drain_end is None)


def _end_now(runner: Any) -> None:
    """The figures are out: tell the workers to quit and go. Locust's own quit would wait
    twice half a second for final stats that ChainDeck does not use."""
    if isinstance(runner, MasterRunner):
        for client in runner.clients.all:
            runner.server.send_to_client(Message("quit", None, client.id))
        gevent.sleep(0.1)  # the messages leave before the socket does
    if RUN.out is not None:
        RUN.out.flush()
    os._exit(0)


def _error_text(exception: BaseException) -> str:
    text = str(exception).strip() or type(exception).__name__
    return text.splitlines()[0][:200]


# -- worker: one report a second -------------------------------------------------------------------
def _worker_clock(runner: WorkerRunner) -> None:
    while True:
        gevent.sleep(1 - time.time() % 1)
        at = int(time.time()) - 1
        second, RUN.current = RUN.current, Second()
        second.pending = RUN.pending
        second.users = runner.user_count
        second.cpu_max = RUN.process.cpu_percent(None)
        runner.send_message(MESSAGE, {"at": at, "second": second.wire(), "worker": WORKER_LABEL})


def _on_second(environment: Environment, msg: Any, **_kw: Any) -> None:
    RUN.add(str(msg.node_id), int(msg.data["at"]), msg.data["second"], msg.data.get("worker", ""))


# -- master: one line a second, and the job's commands ---------------------------------------------
def _master_clock() -> None:
    while not RUN.summary_written:
        gevent.sleep(1 - time.time() % 1 + 0.05)
        if RUN.t0 is not None:
            RUN.close_seconds(time.time() - SETTLE_S)


def _read_commands(fd: int) -> None:
    gevent.os.make_nonblocking(fd)
    buffer = b""
    while True:
        chunk = gevent.os.nb_read(fd, 4096)
        if not chunk:
            return  # the job went away; its end stops us through our process group
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            try:
                command = json.loads(line)
            except ValueError:
                continue
            if command.get("cmd") == "users" and int(command.get("users", -1)) >= 0:
                RUN.users_override = int(command["users"])
            elif command.get("cmd") == "stop":
                RUN.stops += 1


class ChainDeckShape(LoadTestShape):
    """Ramp and hold (or the plan's stages), then drain, then stop: Locust asks every second."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_until = 0.0
        self.drain_until = 0.0

    def tick(self) -> tuple[int, float] | None:
        plan, now = RUN.plan, time.time()
        if RUN.t0 is None:
            RUN.t0 = now
            RUN.hold_start = now + plan.get("ramp_s", 0)
            self.hold_until = RUN.hold_start + plan.get("hold_s", 30)
            RUN.emit({"event": "phase", "phase": "ramp" if plan.get("ramp_s") else "hold"})
        if RUN.hold_end is None:
            if RUN.stops or now >= self.hold_until:
                RUN.hold_end = min(now, self.hold_until)
                RUN.hold_start = min(RUN.hold_start or now, RUN.hold_end)
                self.drain_until = now + (plan.get("drain_s", 0) if plan.get("sends") else 0)
                RUN.emit({"event": "phase", "phase": "drain"})
                return 0, STOP_RATE
            return self.users(now - RUN.t0), self.spawn_rate(now - RUN.t0)
        if now < self.drain_until and not RUN.drained() and RUN.stops < 2:
            return 0, STOP_RATE
        RUN.drain_end = now
        gevent.sleep(1.2)  # each worker's last second reaches us before the summary
        RUN.finish(cancelled=False)
        _end_now(self.runner)
        return None

    def users(self, t: float) -> int:
        if RUN.users_override is not None:
            return RUN.users_override
        stages = RUN.plan.get("stages")
        if not stages:
            return int(RUN.plan.get("users", 1))
        before, start = 0, 0.0
        for seconds, target in stages:
            if t < start + seconds:
                return round(before + (target - before) * (t - start) / seconds)
            before, start = target, start + seconds
        return int(before)

    def spawn_rate(self, t: float) -> float:
        if RUN.plan.get("stages") or RUN.users_override is not None:
            return max(1.0, abs(self.users(t + 1) - self.get_current_user_count()) * 1.0)
        return float(RUN.plan.get("spawn_rate", 1))

"""Gates (shared/spec/deploy.md): each checks the nodes a step changed and ends passed, failed or
inconclusive, with the figures that decided it in words (`behind = 7 > 2 on staging follower 2
(3 of 5 checks)`). They read what the rest of ChainDeck reads: the fleet poller's figures, test
runs and load runs on the same runner, so a gate and the window never disagree."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.clients.errors import NodeError
from app.clients.native import NativeClient
from app.clusters.cluster import ClusterMember
from app.deploy.plan import (
    UNITS,
    ApproveGate,
    Gate,
    HealthGate,
    LoadGate,
    MetricGate,
    TestGate,
    WaitGate,
)
from app.deploy.steps import NodeRef
from app.fleet.member import MemberState
from app.fleet.poller import FleetPoller
from app.jobs.events import Finished, Refused
from app.jobs.runner import JobRunner
from app.jobs.status import RunStatus
from app.jobs.test_run import TestFinished, TestRunError, TestRunJob
from app.jobs.test_run import prepare as prepare_tests
from app.load.job import LoadJob
from app.load.plan import LoadError, LoadOptions
from app.remote.ssh import SshHost
from app.targets import RunTarget

PASSED, FAILED, INCONCLUSIVE = "passed", "failed", "inconclusive"
HEALTH_POLL_S = 0.5

Approver = Callable[[str], Awaitable[bool]]  # asks a person; True: go on


@dataclass(frozen=True)
class GateResult:
    status: str
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class GateContext:
    members: Callable[[], list[ClusterMember]]  # the cluster now, with credentials
    runner: JobRunner
    work_dir: Path  # where gate runs keep their logs
    approve: Approver
    log: Callable[[str], None]
    worker_hosts: dict[str, SshHost] = field(default_factory=dict)  # a load gate's workers_on
    _runs: itertools.count = field(default_factory=lambda: itertools.count(1))

    def member(self, node: NodeRef) -> ClusterMember:
        for member in self.members():
            if member.url == node.url or member.name == node.name:
                return member
        return ClusterMember(node.name, node.url, node.role, None, None)

    def run_dir(self, what: str) -> Path:
        return self.work_dir / f"{next(self._runs):03d}-{what}"


def describe(gate: Gate) -> str:
    """The gate in a few words, as events and the timeline name it."""
    if isinstance(gate, HealthGate):
        return f"health (behind ≤ {gate.max_behind}, within {gate.within:g} s)"
    if isinstance(gate, MetricGate):
        every = f"{gate.count} check{'s' if gate.count != 1 else ''}, every {gate.interval:g} s"
        return f"metric {gate.metric} {gate.condition} ({every})"
    if isinstance(gate, TestGate):
        return f"test {', '.join(gate.suites)}"
    if isinstance(gate, LoadGate):
        on = f", workers on {', '.join(gate.workers_on)}" if gate.workers_on else ""
        return f"load {gate.scenario} ({gate.users} users, {gate.duration:g} s{on})"
    if isinstance(gate, ApproveGate):
        return "approve"
    return f"wait {gate.duration:g} s"


async def check(gate: Gate, nodes: list[NodeRef], ctx: GateContext) -> GateResult:
    if isinstance(gate, HealthGate):
        return await health(gate, nodes, ctx)
    if isinstance(gate, MetricGate):
        return await metric(gate, nodes, ctx)
    if isinstance(gate, TestGate):
        return await tests(gate, nodes, ctx)
    if isinstance(gate, LoadGate):
        return await load(gate, nodes, ctx)
    if isinstance(gate, ApproveGate):
        return await approval(gate, nodes, ctx)
    assert isinstance(gate, WaitGate)
    await asyncio.sleep(gate.duration)
    return GateResult(PASSED, f"waited {gate.duration:g} s")


# -- health ----------------------------------------------------------------------------------
async def _health(member: ClusterMember) -> tuple[int | None, str]:
    """(height, "") from /health 200, or (None, why). As the operator: a node started
    `--private` answers its operator, and whether it answers the public is the tests' question."""
    client = NativeClient(member.url, member.username, member.password)
    try:
        body = await client.health(as_operator=member.username is not None)
        return int(body.get("height", -1)), ""
    except NodeError as exc:
        return None, str(exc)
    finally:
        await client.close()


async def health(gate: HealthGate, nodes: list[NodeRef], ctx: GateContext) -> GateResult:
    deadline = time.monotonic() + gate.within
    while True:
        members = ctx.members()
        readings = dict(
            zip(
                [m.url for m in members],
                await asyncio.gather(*(_health(m) for m in members)),
                strict=True,
            )
        )
        heights = [h for h, _ in readings.values() if h is not None]
        best = max(heights, default=-1)
        bad: list[str] = []
        figures: dict[str, Any] = {}
        for node in nodes:
            height, problem = readings.get(node.url, (None, "not in the cluster"))
            figures[node.name] = {
                "height": height,
                "behind": None if height is None else best - height,
            }
            if height is None:
                bad.append(f"{node.name}: {problem}")
            elif best - height > gate.max_behind:
                bad.append(f"behind = {best - height} > {gate.max_behind} on {node.name}")
        if not bad:
            shown = ", ".join(f"{n.name} at {figures[n.name]['height']}" for n in nodes)
            return GateResult(PASSED, f"/health 200, behind ≤ {gate.max_behind}: {shown}", figures)
        if time.monotonic() >= deadline:
            return GateResult(FAILED, f"{'; '.join(bad)} (still after {gate.within:g} s)", figures)
        await asyncio.sleep(HEALTH_POLL_S)


# -- metric ----------------------------------------------------------------------------------
def read_metric(state: MemberState, metric: str) -> float | None:
    if state.state == "down":
        return None
    if metric == "behind":
        return float(state.behind)
    if metric == "latency_p95":
        return state.latency_percentiles()[1]
    if metric == "error_rate":
        return state.error_pct
    if metric == "mempool":
        return None if state.mempool is None else float(state.mempool)
    if metric == "peers":
        return None if state.peers is None else float(state.peers)
    return state.avg_block_time


async def metric(gate: MetricGate, nodes: list[NodeRef], ctx: GateContext) -> GateResult:
    """Argo's analysis: measured every `interval`, `count` times; failed once the condition
    broke `failure_limit` times; inconclusive when no measurement had data."""
    unit = UNITS.get(gate.metric, "")
    wanted = {n.url for n in nodes}
    poller = FleetPoller(ctx.members())
    failures, measured, worst = 0, 0, ""
    values: list[dict[str, float | None]] = []
    try:
        for i in range(gate.count):
            if i:
                await asyncio.sleep(gate.interval)
            states = [s for s in await poller.poll_once(i) if s.url in wanted]
            round_values = {s.name: read_metric(s, gate.metric) for s in states}
            values.append(round_values)
            known = {k: v for k, v in round_values.items() if v is not None}
            if not known:
                continue
            measured += 1
            broken = {k: v for k, v in known.items() if not gate.condition.holds(v)}
            if broken:
                failures += 1
                name, value = max(broken.items(), key=lambda kv: abs(kv[1] - gate.condition.value))
                worst = (
                    f"{gate.metric} = {value:g}{unit and ' ' + unit} "
                    f"{gate.condition.broken()} on {name}"
                )
                if failures >= gate.failure_limit:
                    detail = f"{worst} ({failures} of {i + 1} checks)"
                    return GateResult(FAILED, detail, {"values": values})
    finally:
        await poller.close()
    if not measured:
        return GateResult(
            INCONCLUSIVE, f"{gate.metric}: no data in {gate.count} checks", {"values": values}
        )
    last = {k: v for k, v in values[-1].items() if v is not None} or {}
    shown = ", ".join(f"{k} {v:.4g}" for k, v in last.items())
    note = f"; {failures} broke it ({worst})" if failures else ""
    detail = (
        f"{gate.metric} {gate.condition} held in {measured - failures} of {measured} "
        f"checks{note} (last: {shown})"
    )
    return GateResult(PASSED, detail, {"values": values})


# -- tests and load: runs like any other, alongside the deployment that holds the target --------
def _target(member: ClusterMember) -> RunTarget:
    return RunTarget(member.url, member.kind, member.name, member.username, member.password)


async def tests(gate: TestGate, nodes: list[NodeRef], ctx: GateContext) -> GateResult:
    figures: dict[str, Any] = {}
    lines: list[str] = []
    failed = False
    for node in nodes:
        member = ctx.member(node)
        try:
            plan = prepare_tests(gate.suites, _target(member))
        except TestRunError as exc:
            return GateResult(FAILED, str(exc))
        job = TestRunJob(plan, ctx.run_dir(f"test-{node.slug}") / "pytest.log")
        ctx.log(f"{node.name}: running {', '.join(gate.suites)}")
        broken: list[str] = []
        finished = Finished(RunStatus.FAILED, "no result")
        async for event in ctx.runner.submit(job, alongside=True).events():
            if isinstance(event, Refused):
                finished = Finished(RunStatus.FAILED, event.message)
            elif isinstance(event, TestFinished) and event.result["outcome"] in ("failed", "error"):
                broken.append(event.result["nodeid"].rsplit("::", 1)[-1])
            elif isinstance(event, Finished):
                finished = event
        counts = finished.summary
        figures[node.name] = {"status": str(finished.status), **counts}
        if finished.status == RunStatus.SUCCEEDED:
            lines.append(f"{node.name}: {counts.get('passed', 0)} passed")
            continue
        failed = True
        if broken:
            first = ", ".join(broken[:3]) + ("…" if len(broken) > 3 else "")
            lines.append(
                f"{node.name}: {len(broken)} failed of {counts.get('total', '?')} ({first})"
            )
        else:
            lines.append(
                f"{node.name}: {finished.message.splitlines()[0] if finished.message else 'failed'}"
            )
    detail = f"{', '.join(gate.suites)}: " + "; ".join(lines)
    return GateResult(FAILED if failed else PASSED, detail, figures)


async def load(gate: LoadGate, nodes: list[NodeRef], ctx: GateContext) -> GateResult:
    options = LoadOptions(
        scenario=gate.scenario,
        users=gate.users,
        duration=f"{gate.duration:g}s",
        rate=gate.rate,
        thresholds=list(gate.thresholds),
        drain="10s",
        kind="native",
    )
    try:
        plan = options.plan([_target(ctx.member(n)) for n in nodes])
    except LoadError as exc:
        return GateResult(FAILED, str(exc))
    plan = replace(
        plan,
        ssh_workers=[ctx.worker_hosts[name] for name in gate.workers_on],
        ssh_chaindeck=gate.worker_command,
    )
    job = LoadJob(plan, ctx.run_dir("load"))
    remote = f", workers on {', '.join(gate.workers_on)} too" if gate.workers_on else ""
    ctx.log(f"load {gate.scenario} on {', '.join(n.name for n in nodes)}{remote}")
    finished = Finished(RunStatus.FAILED, "no result")
    async for event in ctx.runner.submit(job, alongside=True).events():
        if isinstance(event, Refused):
            finished = Finished(RunStatus.FAILED, event.message)
        elif isinstance(event, Finished):
            finished = event
    report = finished.summary
    if not report:
        return GateResult(FAILED, f"the load run did not report: {finished.message}")
    judged = [t["message"] for t in report.get("thresholds", [])]
    txs = report.get("transactions", {})
    figures = {
        "requests": report.get("requests"),
        "failures": report.get("failures"),
        "rps": report.get("rps"),
        "p95_ms": report.get("latency_ms", {}).get("p95"),
        "accepted": txs.get("accepted"),
        "included": txs.get("included"),
        "per_worker": report.get("per_worker"),
    }
    if finished.status == RunStatus.SUCCEEDED:
        return GateResult(PASSED, "; ".join(judged) or "no thresholds: ran clean", figures)
    return GateResult(
        FAILED, "; ".join(m for m in judged if m.startswith("FAIL")) or finished.message, figures
    )


# -- a person ----------------------------------------------------------------------------------
async def approval(gate: ApproveGate, nodes: list[NodeRef], ctx: GateContext) -> GateResult:
    question = f"approve: {', '.join(n.name for n in nodes)} changed; go on?"
    try:
        approved = await asyncio.wait_for(ctx.approve(question), gate.timeout)
    except TimeoutError:
        return GateResult(FAILED, f"no approval within {gate.timeout:g} s")
    if approved:
        return GateResult(PASSED, "approved")
    return GateResult(FAILED, "not approved")

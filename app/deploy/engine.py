"""Runs a plan: its steps in order, the gates after each, and on a failed gate, a step that
could not be carried out or an abort, the rollback: every step done so far undone in reverse
order, then the gates check the restored cluster. What happens is told as the spec's events
(shared/spec/deploy.md, "--json"), each stamped with its time so the health graphs can mark it.
Qt-free: `chaindeck deploy` and the Deploy tab run this same engine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from app.clusters.cluster import member_name
from app.clusters.folder import NodeVersion
from app.deploy.gates import FAILED, INCONCLUSIVE, PASSED, GateContext, GateResult, check, describe
from app.deploy.plan import ApproveGate, Gate, LoadGate, Plan, TestGate, WaitGate
from app.deploy.steps import ADD, SWITCH, NodeRef, Step, plan_steps
from app.deploy.target import DeployTarget, StepFailed

SUCCEEDED, ROLLED_BACK, ROLLBACK_FAILED, ABORTED = (
    "succeeded",
    "rolled_back",
    "rollback_failed",
    "aborted",
)
Emit = Callable[[dict[str, Any]], None]
T = TypeVar("T")


class Aborted(Exception):
    pass


class Deployment:
    def __init__(self, plan: Plan, target: DeployTarget, ctx: GateContext, emit: Emit) -> None:
        self.plan = plan
        self.target = target
        self.ctx = ctx
        self._emit = emit
        self.version = NodeVersion(plan.version.executable, tuple(plan.version.args))
        self.aborting = asyncio.Event()
        self.abort_reason = ""
        self.step_index = -1
        self._names: dict[str, str] = {}
        self.rollback_problems: list[str] = []
        self.planned = 0
        ctx.log = self._log

    # -- telling -----------------------------------------------------------------------------
    def emit(self, event: dict[str, Any]) -> None:
        self._emit({**event, "t": round(time.time(), 3)})

    def _log(self, line: str) -> None:
        self.emit({"type": "log", "step": self.step_index, "line": line})

    def names(self, slugs: tuple[str, ...] | list[str]) -> list[str]:
        """Names as people know them, remembered for nodes a step took out of the cluster."""
        self._names.update({n.slug: n.name for n in self.target.nodes()})
        return [self._names.get(s) or member_name(self.target.cluster, s) for s in slugs]

    def steps(self) -> list[Step]:
        green = self.target.green_slugs() if self.plan.strategy == "blue-green" else None
        return plan_steps(self.plan, self.target.nodes(), green)

    # -- control -----------------------------------------------------------------------------
    def abort(self, reason: str = "aborted by the user") -> None:
        """Stop where it is (a gate or wait under way ends now; a node being restarted
        finishes first) and roll back."""
        if not self.aborting.is_set():
            self.abort_reason = reason
            self.aborting.set()

    async def _unless_aborted(self, work: Awaitable[T]) -> T:
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self.aborting.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
            raise Aborted
        return task.result()

    # -- the run -----------------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        nodes = self.target.nodes()
        before = {n.slug: self.target.version_of(n.slug) for n in nodes}
        steps = self.steps()
        self.planned = len(steps)
        self.emit(
            {
                "type": "plan",
                "plan": self.plan.name,
                "cluster": self.target.cluster,
                "strategy": self.plan.strategy,
                "steps": [
                    {"action": s.action, "nodes": self.names(s.nodes), "note": s.note}
                    for s in steps
                ],
                "gates": [describe(g) for g in self.plan.gates],
            }
        )
        done: list[Step] = []
        reason = ""
        try:
            for index, step in enumerate(steps):
                if self.aborting.is_set():
                    raise Aborted
                self.step_index = index
                done.append(step)  # a step that fails half-way is undone too
                problem = await self._apply(step)
                if problem:
                    reason = f"step {index + 1} ({step.action}) failed: {problem}"
                    break
                failed = await self._unless_aborted(self._gates(step, self._checked(step)))
                if failed:
                    reason = failed
                    break
            else:
                return self._summary(SUCCEEDED, before, "")
        except Aborted:
            reason = self.abort_reason
        status = await self._rollback(done, before, reason)
        return self._summary(status, before, reason)

    def _checked(self, step: Step) -> list[NodeRef]:
        """The nodes a step's gates check: those it changed, and after a switch the whole
        cluster that now serves."""
        nodes = self.target.nodes()
        if step.action == SWITCH:
            return nodes
        return [n for n in nodes if n.slug in step.nodes]

    async def _apply(self, step: Step) -> str:
        """What went wrong, or "" when the step was carried out."""
        self._step_events(step, step.action, "started", note=step.note)
        try:
            await self.target.apply(step, self.version, self._log)
        except StepFailed as exc:
            self._step_events(step, step.action, "failed", detail=str(exc))
            return str(exc)
        self._step_events(step, step.action, "done")
        return ""

    def _step_events(self, step: Step, action: str, status: str, **extra: str) -> None:
        """One event a node (the spec's step event names one node)."""
        for name in self.names(step.nodes):
            event = {"type": "step", "node": name, "action": action, "status": status}
            self.emit({**event, "step": self.step_index, **extra})

    async def _gates(self, step: Step, nodes: list[NodeRef], *, restored: bool = False) -> str:
        """The first failure, in words; "" when every gate passed."""
        for gate in self.plan.gates:
            if not self._runs(gate, step, restored):
                continue
            result = await check(gate, nodes, self.ctx)
            self._gate_event(gate, nodes, result)
            if result.status == INCONCLUSIVE:
                question = f"{describe(gate)}: {result.detail}. Go on without it?"
                if await self.ctx.approve(question):
                    self._log(f"{describe(gate)}: no data, a person approved going on")
                    continue
                return f"{describe(gate)}: inconclusive ({result.detail}), not approved"
            if result.status == FAILED:
                return f"{describe(gate)}: {result.detail}"
        return ""

    @staticmethod
    def _runs(gate: Gate, step: Step, restored: bool) -> bool:
        if restored:  # a restored cluster is checked, not approved or loaded again
            return not isinstance(gate, ApproveGate | WaitGate | LoadGate)
        return step.all_gates or not isinstance(gate, TestGate | LoadGate | ApproveGate | WaitGate)

    def _gate_event(self, gate: Gate, nodes: list[NodeRef], result: GateResult) -> None:
        self.emit(
            {
                "type": "gate",
                "gate": describe(gate),
                "node": ", ".join(n.name for n in nodes),
                "status": result.status,
                "detail": result.detail,
                "step": self.step_index,
                "figures": result.figures,
            }
        )

    async def _rollback(self, done: list[Step], before: dict[str, NodeVersion], reason: str) -> str:
        self.step_index = self.planned  # the rollback is a column of its own after the plan's
        self._log(f"rolling back: {reason}")
        problems: list[str] = []
        for step in reversed(done):
            self._step_events(step, step.undo, "started")
            try:
                await self.target.undo(step, before, self._log)
            except StepFailed as exc:
                problems.append(str(exc))
                self._step_events(step, step.undo, "failed", detail=str(exc))
            else:
                self._step_events(step, step.undo, "done")
        if not problems:
            changed = {s for step in done for s in step.nodes if step.action != ADD}
            nodes = [n for n in self.target.nodes() if n.slug in changed] or self.target.nodes()
            failed = await self._gates(Step("rollback", tuple(changed)), nodes, restored=True)
            if failed:
                problems.append(f"the restored cluster fails {failed}")
        if problems:
            self.rollback_problems = problems
            self._log("rollback failed: " + "; ".join(problems))
            return ROLLBACK_FAILED
        return ABORTED if self.aborting.is_set() else ROLLED_BACK

    def _summary(self, status: str, before: dict[str, NodeVersion], reason: str) -> dict[str, Any]:
        now = {n.slug: self.target.version_of(n.slug) for n in self.target.nodes()}
        names = dict(zip([*before, *now], self.names([*before, *now]), strict=True))
        summary = {
            "type": "summary",
            "plan": self.plan.name,
            "cluster": self.target.cluster,
            "status": status,
            "from": {names.get(s, s): v.describe() for s, v in before.items()},
            # What each node ran before, to run again ("Rollback now" after a success).
            "from_versions": {names.get(s, s): v.as_json() for s, v in before.items()},
            "to": {names.get(s, s): v.describe() for s, v in now.items()},
            "reason": reason,
        }
        if self.rollback_problems:
            summary["rollback_problems"] = self.rollback_problems
        self.emit(summary)
        return summary

    # -- the dry run -------------------------------------------------------------------------
    def dry_run(self) -> list[dict[str, Any]]:
        """Each step: what changes, the commands, the gates after it, and how it is undone."""
        before = {n.slug: self.target.version_of(n.slug) for n in self.target.nodes()}
        out = []
        for step in self.steps():
            gates = [describe(g) for g in self.plan.gates if self._runs(g, step, False)]
            out.append(
                {
                    "action": step.action,
                    "note": step.note,
                    "nodes": self.names(step.nodes),
                    "commands": self.target.describe(step, self.version),
                    "gates": gates,
                    "rollback": self.target.describe_undo(step, before),
                }
            )
        return out


__all__ = ["ABORTED", "PASSED", "ROLLBACK_FAILED", "ROLLED_BACK", "SUCCEEDED", "Deployment"]

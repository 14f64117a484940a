"""Strategies as ordered steps (shared/spec/deploy.md): which nodes change at each step, and
what undoing that step means. The engine runs them; a target carries them out."""

from __future__ import annotations

from dataclasses import dataclass

from app.deploy.plan import Plan

UPGRADE = "upgrade"  # nodes restart on the new version (undo: the previous version)
ADD = "add"  # blue-green: new followers on the new version join (undo: they stop and go)
SWITCH = "switch"  # blue-green: the old followers stop (undo: they start again)


@dataclass(frozen=True)
class NodeRef:
    slug: str  # "producer", "follower-2": the node within its cluster
    name: str  # "staging follower 2": as people and the fleet view call it
    role: str
    url: str


@dataclass(frozen=True)
class Step:
    action: str
    nodes: tuple[str, ...]  # slugs
    note: str = ""  # "canary"

    @property
    def undo(self) -> str:
        return {UPGRADE: "rollback", ADD: "remove", SWITCH: "reinstate"}[self.action]

    @property
    def all_gates(self) -> bool:
        """A switch only moves traffic: health and metric gates check it, the slow ones (tests,
        load, a person) already checked the nodes it switches to."""
        return self.action != SWITCH


def plan_steps(plan: Plan, nodes: list[NodeRef], green: list[str] | None = None) -> list[Step]:
    """`green`: the slugs the new followers of a blue-green deployment will have."""
    followers = [n.slug for n in nodes if n.role != "producer"]
    producer = [n.slug for n in nodes if n.role == "producer"]
    last = [Step(UPGRADE, tuple(producer))] if producer else []
    if plan.strategy == "blue-green":
        return [Step(ADD, tuple(green or ())), Step(SWITCH, tuple(followers)), *last]
    steps: list[Step] = []
    if plan.strategy == "canary" and followers:
        steps.append(Step(UPGRADE, (followers[0],), "canary"))
        followers = followers[1:]
    size = plan.max_unavailable
    steps += [Step(UPGRADE, tuple(followers[i : i + size])) for i in range(0, len(followers), size)]
    return steps + last

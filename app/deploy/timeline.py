"""A deployment's events folded into what a person reads: nodes by steps (each cell the node's
state in that step), every gate verdict with its figures, a log per step, and the moments to
mark on time axes. Built live from the engine's events or again from the stored ones, so the
Deploy tab shows a past deployment exactly as it showed it running."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MARKS = {"passed": "✓", "failed": "✗", "inconclusive": "?"}


@dataclass(frozen=True)
class GateRow:
    step: int
    gate: str
    node: str
    status: str
    detail: str
    t: float


@dataclass
class Timeline:
    plan: str = ""
    cluster: str = ""
    strategy: str = ""
    columns: list[str] = field(default_factory=list)  # "1 upgrade (canary)", …, "rollback"
    nodes: list[str] = field(default_factory=list)
    cells: dict[tuple[str, int], str] = field(default_factory=dict)
    gates: list[GateRow] = field(default_factory=list)
    logs: dict[int, list[str]] = field(default_factory=dict)
    summary: dict[str, Any] | None = None
    marks: list[tuple[float, str]] = field(default_factory=list)
    version: int = 0  # bumped on every change: views redraw only when it moved

    @classmethod
    def of(cls, events: list[dict[str, Any]]) -> Timeline:
        timeline = cls()
        for event in events:
            timeline.take(event)
        return timeline

    @property
    def status(self) -> str:
        return str(self.summary["status"]) if self.summary else "running"

    def _column(self, step: int) -> int:
        while len(self.columns) <= step:  # only the rollback comes after the plan's steps
            self.columns.append("rollback")
        return step

    def _node(self, name: str) -> None:
        if name and name not in self.nodes:
            self.nodes.append(name)

    def take(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        self.version += 1
        if kind == "plan":
            self.plan, self.cluster = event["plan"], event["cluster"]
            self.strategy = event["strategy"]
            for i, step in enumerate(event["steps"]):
                note = f" ({step['note']})" if step.get("note") else ""
                self.columns.append(f"{i + 1} {step['action']}{note}")
                for node in step["nodes"]:
                    self._node(node)
                    self.cells[(node, i)] = "planned"
        elif kind == "step":
            step = self._column(int(event["step"]))
            self._node(event["node"])
            status = event["status"]
            text = {"started": "…", "done": "done", "failed": "FAILED"}[status]
            self.cells[(event["node"], step)] = f"{event['action']} {text}"
            if status != "started":
                self.marks.append((float(event["t"]), f"{event['action']} {event['node']}"))
        elif kind == "gate":
            self.gates.append(
                GateRow(
                    int(event["step"]),
                    event["gate"],
                    event["node"],
                    event["status"],
                    event["detail"],
                    float(event["t"]),
                )
            )
            if event["status"] != "passed":
                self.marks.append((float(event["t"]), f"gate {event['status']}"))
        elif kind == "log":
            self.logs.setdefault(int(event["step"]), []).append(event["line"])
        elif kind == "summary":
            self.summary = event
            self.marks.append((float(event["t"]), f"deployment {event['status']}"))

    def cell(self, node: str, step: int) -> str:
        text = self.cells.get((node, step), "")
        if text == "planned" and self.summary is not None:
            return "not run"  # the deployment ended before this step
        verdicts = [g for g in self.gates if g.step == step and node in g.node.split(", ")]
        if verdicts and text and text != "planned":
            text += " " + "".join(MARKS.get(g.status, "") for g in verdicts)
        return text

    def log_of(self, step: int | None) -> list[str]:
        """One step's log, or every line (None)."""
        if step is not None:
            return list(self.logs.get(step, []))
        return [line for s in sorted(self.logs) for line in self.logs[s]]

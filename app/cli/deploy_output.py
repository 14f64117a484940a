"""The human lines of `chaindeck deploy`: one per step and per gate verdict, with the figures
that decided it."""

from __future__ import annotations

from typing import Any

MARK = {"passed": "PASS", "failed": "FAIL", "inconclusive": "????"}
UNDO = ("rollback", "remove", "reinstate")  # app/deploy/steps.py: what undoes a step


def event_line(event: dict[str, Any]) -> str | None:
    kind = event["type"]
    if kind == "plan":
        steps = len(event["steps"])
        gates = ", ".join(event["gates"]) or "no gates"
        return (
            f"deploy “{event['plan']}” on {event['cluster']}: {event['strategy']}, "
            f"{steps} step{'s' if steps != 1 else ''}; gates: {gates}"
        )
    if kind == "step":
        where = "rollback" if event["action"] in UNDO else f"step {event['step'] + 1}"
        if event["status"] == "started":
            note = f" ({event['note']})" if event.get("note") else ""
            return f"{where}: {event['action']}{note} {event['node']}…"
        detail = f": {event['detail']}" if event.get("detail") else ""
        return f"{where}: {event['action']} {event['node']} {event['status']}{detail}"
    if kind == "gate":
        return f"  {MARK[event['status']]} {event['gate']} on {event['node']}: {event['detail']}"
    if kind == "log" and event["line"].startswith(("rolling back", "rollback failed")):
        return event["line"]
    return None


def summary_line(summary: dict[str, Any]) -> str:
    status = summary["status"].replace("_", " ")
    line = f"deployment “{summary['plan']}”: {status}"
    if summary.get("reason"):
        line += f" ({summary['reason']})"
    if summary.get("rollback_problems"):
        line += f"; ROLLBACK FAILED: {'; '.join(summary['rollback_problems'])}"
    runs = sorted(set(summary.get("to", {}).values()))
    if runs:
        line += f"; the nodes run: {' | '.join(runs)}"
    return line

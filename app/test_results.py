"""Counting a test run's results, the same way in the CLI, the store and the Tests panel."""

from __future__ import annotations

from typing import Any

from app.jobs.status import RunStatus

OUTCOMES = ("passed", "failed", "error", "skipped", "n/a")


class RunTally:
    def __init__(self) -> None:
        self.total = 0
        self.counts = dict.fromkeys(OUTCOMES, 0)

    def collected(self, nodeids: list[str]) -> None:
        self.total = len(nodeids)

    def add(self, result: dict[str, Any]) -> None:
        self.counts[result["outcome"]] += 1
        self.total = max(self.total, self.done)  # collection errors arrive uncounted

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def all_passed(self) -> bool:
        ran = self.counts["passed"]
        return ran > 0 and not self.counts["failed"] and not self.counts["error"]

    def failed_text(self) -> str:
        """ "2 failed, 1 error": what made the run fail."""
        parts = [f"{self.counts[name]} {name}" for name in ("failed", "error") if self.counts[name]]
        return ", ".join(parts) or "no test passed"

    def summary(self) -> str:
        parts = [f"{n} {name}" for name, n in self.counts.items() if n]
        return ", ".join(parts) if parts else "no tests ran"


def verdict(
    tally: RunTally, code: int | None, cancelled: bool, output: str
) -> tuple[RunStatus, str]:
    """How a test run ended, for the window, the CLI and the store alike: it succeeded only
    when tests ran, none failed or errored, and pytest agreed (exit 0)."""
    if cancelled:
        return RunStatus.CANCELLED, "cancelled"
    if tally.all_passed and code == 0:
        return RunStatus.SUCCEEDED, ""
    if tally.done:
        return RunStatus.FAILED, ""
    return RunStatus.FAILED, (output.strip().splitlines() or ["no tests ran"])[-1]

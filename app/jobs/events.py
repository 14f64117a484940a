"""What a run tells as it goes, for every kind of job; a kind adds its own events beside these
(`app/jobs/test_run.py`: `TestsCollected`, `TestFinished`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.jobs.status import RunStatus


@dataclass(frozen=True)
class Refused:
    """The run never started: bad input, or a target that cannot be reached. For the user."""

    message: str


@dataclass(frozen=True)
class Waiting:
    """Another run holds the target; this one starts when it ends."""

    holder: str  # what holds it: "test run on Devnet"


@dataclass(frozen=True)
class Started:
    pass


@dataclass(frozen=True)
class Exited:
    """A child process ended: its code, whether we stopped it, the end of its output."""

    code: int | None
    cancelled: bool
    output: str


@dataclass(frozen=True)
class Finished:
    """Always the last event of a run that started or waited: the verdict, stated once."""

    status: RunStatus
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


JobEvent = Any  # one of the above, or a kind's own event

"""What a load run will do (shared/spec/load.md), checked before anything starts: durations with
units, k6-style stages, the scenario, the thresholds. `LoadError` carries the message for the
user; nothing here touches the network."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.load.scenarios import SCENARIOS, endpoint_names
from app.load.thresholds import Threshold, ThresholdError, parse_threshold
from app.targets import RunTarget

if TYPE_CHECKING:
    from app.remote.ssh import SshHost

UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
MAX_USERS = 10_000


class LoadError(ValueError):
    """A load run that cannot start; the message is for the user."""


def parse_duration(text: str, what: str = "duration") -> float:
    """`30s`, `1m`, `1.5h`, `250ms`; a bare number is seconds."""
    match = DURATION.match(text)
    if not match:
        raise LoadError(f"{what} {text!r}: a number with ms, s, m or h (30s, 1m)")
    return float(match.group(1)) * UNITS[match.group(2) or "s"]


def parse_stages(text: str) -> list[tuple[float, int]]:
    """`10s:20,1m:20,10s:0`: ramp to 20 users over 10 s, hold 20 for a minute, ramp down."""
    stages: list[tuple[float, int]] = []
    for part in (p for p in text.split(",") if p.strip()):
        duration, sep, users = part.rpartition(":")
        if not sep or not users.strip().isdigit():
            raise LoadError(f"stage {part.strip()!r}: DURATION:USERS, such as 30s:20")
        seconds = parse_duration(duration, "stage duration")
        if seconds <= 0:
            raise LoadError(f"stage {part.strip()!r}: the duration must be more than 0")
        stages.append((seconds, int(users)))
    if not stages:
        raise LoadError("--stages: at least one DURATION:USERS step")
    return stages


@dataclass
class LoadPlan:
    targets: list[RunTarget]
    scenario: str = "transfers"
    users: int = 10
    spawn_rate: float | None = None  # users started a second; None: all within a second
    duration: float = 30.0
    rate: float | None = None  # transfers a second offered (open model)
    stages: list[tuple[float, int]] | None = None
    workers: int = 1
    master_bind: tuple[str, int] | None = None
    # workers on other machines, over SSH (app/load/remote_workers.py), and how they run chaindeck
    ssh_workers: list[SshHost] = field(default_factory=list)
    ssh_chaindeck: str = "chaindeck"
    thresholds: list[Threshold] = field(default_factory=list)
    drain: float = 30.0
    kind: str | None = None  # None: probe the first target

    @property
    def target(self) -> RunTarget:
        return self.targets[0]

    @property
    def custom(self) -> bool:
        return self.scenario not in SCENARIOS

    @property
    def max_users(self) -> int:
        return max(u for _, u in self.stages) if self.stages else self.users

    @property
    def start_rate(self) -> float:
        return self.spawn_rate or float(max(1, self.users))

    @property
    def ramp_s(self) -> float:
        """Seconds before the hold: users started at the spawn rate (stages: none, they are
        the hold)."""
        return 0.0 if self.stages else math.ceil(self.users / self.start_rate)

    @property
    def hold_s(self) -> float:
        return sum(d for d, _ in self.stages) if self.stages else self.duration

    @property
    def sends(self) -> bool:
        """Whether the run signs transfers, so needs funded senders."""
        return self.scenario in ("transfers", "mixed")

    def senders_needed(self) -> int:
        """One sender a sending user; Locust spreads users evenly over the workers, and a user
        takes the sender `worker_index + workers * j`, so this many cover every user."""
        if not self.sends:
            return 0
        senders = self.max_users if self.scenario == "transfers" else math.ceil(self.max_users / 10)
        return senders + self.workers - 1


def check(plan: LoadPlan) -> LoadPlan:
    """Refuses what cannot run, naming the option; returns the plan."""
    if not plan.targets:
        raise LoadError("no target: a node URL, a saved profile or a cluster")
    for target in plan.targets:
        if not target.url.startswith(("http://", "https://")):
            raise LoadError(f"{target.url!r} is not a node URL (http://host:port)")
    if plan.custom:
        path = Path(plan.scenario)
        if path.suffix != ".py" or not path.is_file():
            known = ", ".join(SCENARIOS)
            raise LoadError(f"--scenario {plan.scenario!r}: one of {known}, or a locustfile (.py)")
    if not 1 <= plan.max_users <= MAX_USERS and not (plan.stages and plan.max_users == 0):
        raise LoadError(f"--users: 1 to {MAX_USERS:,}")
    if plan.spawn_rate is not None and plan.spawn_rate <= 0:
        raise LoadError("--spawn-rate: more than 0 users a second")
    if plan.duration <= 0 and not plan.stages:
        raise LoadError("--duration: more than 0")
    if plan.rate is not None and (plan.rate <= 0 or not plan.sends):
        raise LoadError("--rate: more than 0 transfers a second, for transfers or mixed")
    if not 1 <= plan.workers <= 64:
        raise LoadError("--workers: 1 to 64")
    if plan.drain < 0:
        raise LoadError("--drain: 0 or more")
    names = None if plan.custom else endpoint_names(plan.scenario, plan.kind)
    for threshold in plan.thresholds:
        if threshold.name is not None and names is not None and threshold.name not in names:
            raise LoadError(
                f"threshold {threshold.expr!r}: no endpoint {threshold.name!r} in "
                f"{plan.scenario} (its names: {', '.join(sorted(names))})"
            )
    return plan


def thresholds(texts: list[str]) -> list[Threshold]:
    try:
        return [parse_threshold(t) for t in texts]
    except ThresholdError as exc:
        raise LoadError(str(exc)) from None


def ssh_host(spec: str, key: str | None, known_hosts: str | None) -> SshHost:
    from app.load.remote_workers import parse_host

    return parse_host(spec, key, known_hosts)


def master_bind(text: str | None) -> tuple[str, int] | None:
    if text is None:
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise LoadError(f"--master-bind {text!r}: HOST:PORT, such as 0.0.0.0:5557")
    return host, int(port)


@dataclass
class LoadOptions:
    """A load run as a person writes it (the command line's options, the Load tab's fields)."""

    scenario: str = "transfers"
    users: int = 10
    spawn_rate: float | None = None
    duration: str = "30s"
    rate: float | None = None
    stages: str = ""
    workers: int = 1
    master_bind: str | None = None
    thresholds: list[str] = field(default_factory=list)
    drain: str = "30s"
    kind: str | None = None
    ssh_workers: list[str] = field(default_factory=list)  # USER@HOST[:PORT]
    ssh_key: str | None = None
    ssh_known_hosts: str | None = None
    ssh_chaindeck: str = "chaindeck"

    def plan(self, targets: list[RunTarget]) -> LoadPlan:
        """The checked plan; `LoadError` names the option that is wrong."""
        return check(
            LoadPlan(
                targets,
                scenario=self.scenario,
                users=self.users,
                spawn_rate=self.spawn_rate,
                duration=parse_duration(self.duration, "duration"),
                rate=self.rate,
                stages=parse_stages(self.stages) if self.stages.strip() else None,
                workers=self.workers,
                master_bind=master_bind(self.master_bind),
                ssh_workers=[
                    ssh_host(w, self.ssh_key, self.ssh_known_hosts) for w in self.ssh_workers
                ],
                ssh_chaindeck=self.ssh_chaindeck,
                thresholds=thresholds([t for t in self.thresholds if t.strip()]),
                drain=parse_duration(self.drain, "drain"),
                kind=self.kind,
            )
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

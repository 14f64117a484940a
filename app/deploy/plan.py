"""A deployment plan (shared/spec/deploy.md, "Plans"): TOML, validated before anything changes.
An unknown key is an error, and every message names its field (`gates[2].metric: …`)."""

from __future__ import annotations

import operator
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.functional_validators import AfterValidator, BeforeValidator

from app.deploy.durations import Seconds
from app.deploy.plan_nodes import (
    KubernetesSettings,
    NodeSettings,
    SshSettings,
    check_not_ssh,
    check_ssh_nodes,
)
from app.load.thresholds import ThresholdError, parse_threshold

METRICS = ("behind", "latency_p95", "error_rate", "mempool", "peers", "block_time")
UNITS = {"behind": "blocks", "latency_p95": "ms", "error_rate": "%", "block_time": "s"}
TARGETS = ("local", "command", "ssh", "kubernetes")
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
NEGATION = {"<": "≥", "<=": ">", ">": "≤", ">=": "<", "==": "≠", "!=": "="}
GATE_KINDS = ("health", "metric", "test", "load", "approve", "wait")
CONDITION = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")


class PlanError(ValueError):
    """A plan that does not validate; the message names the field, for the user."""


def _thresholds(texts: list[str]) -> list[str]:
    for text in texts:
        try:
            parse_threshold(text)
        except ThresholdError as exc:
            raise ValueError(str(exc)) from None
    return texts


Thresholds = Annotated[list[str], AfterValidator(_thresholds)]  # load.md's grammar, checked


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Version(Strict):
    args: list[str] = []
    executable: str | None = None
    # ssh: a build (file or folder) sent to each host's dir/builds/ over SFTP; `executable`,
    # when relative, names the program inside it.
    upload: str | None = None
    image: str | None = None  # kubernetes: the node's container image


class HealthGate(Strict):
    kind: Literal["health"]
    max_behind: int = Field(2, ge=0)
    within: Seconds = 30.0


class Condition(Strict):
    op: str
    value: float

    def holds(self, measured: float) -> bool:
        return COMPARE[self.op](measured, self.value)

    def broken(self) -> str:
        """The condition that failed, as a failure message writes it: `> 2`."""
        return f"{NEGATION[self.op]} {self.value:g}"

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


def _condition(value: Any) -> Any:
    if isinstance(value, str):
        match = CONDITION.match(value)
        if not match:
            raise ValueError('a comparison and a number, such as "< 200" or ">= 1"')
        return {"op": match.group(1), "value": float(match.group(2))}
    return value


class MetricGate(Strict):
    kind: Literal["metric"]
    metric: Literal["behind", "latency_p95", "error_rate", "mempool", "peers", "block_time"]
    condition: Annotated[Condition, BeforeValidator(_condition)]
    interval: Seconds = 2.0
    count: int = Field(5, ge=1, le=1000)
    failure_limit: int = Field(1, ge=1)


class TestGate(Strict):
    __test__ = False
    kind: Literal["test"]
    suites: list[str] = Field(default_factory=lambda: ["conformance"], min_length=1)


class LoadGate(Strict):
    kind: Literal["load"]
    scenario: Literal["transfers", "reads", "subscribers", "mixed"] = "transfers"
    users: int = Field(8, ge=1, le=1000)
    duration: Seconds = 10.0
    rate: float | None = Field(None, gt=0)
    thresholds: Thresholds = []
    # target = "ssh": Locust workers on these nodes' hosts as well, through the same SSH
    # settings (their port forwarded back over SSH: the master stays on 127.0.0.1)
    workers_on: list[str] = []
    worker_command: str = Field("chaindeck", min_length=1)  # chaindeck, as those hosts run it


class ApproveGate(Strict):
    kind: Literal["approve"]
    timeout: Seconds = 600.0


class WaitGate(Strict):
    kind: Literal["wait"]
    duration: Seconds = 10.0


Gate = Annotated[
    HealthGate | MetricGate | TestGate | LoadGate | ApproveGate | WaitGate,
    Field(discriminator="kind"),
]


class Plan(Strict):
    name: str = Field(min_length=1, max_length=200)
    cluster: str = Field(min_length=1)
    target: Literal["local", "ssh", "kubernetes", "command"] = "local"
    strategy: Literal["rolling", "canary", "blue-green"] = "rolling"
    max_unavailable: int = Field(1, ge=1)
    version: Version = Version()
    gates: list[Gate] = []
    # The command target: shell commands run per node, with CHAINDECK_NODE, CHAINDECK_NODE_URL,
    # CHAINDECK_NODE_ROLE and CHAINDECK_VERSION_ARGS in their environment.
    deploy: str | None = None
    rollback: str | None = None
    # The ssh target: how every node's host is reached ([ssh]), and each node's own host.
    ssh: SshSettings = SshSettings()
    nodes: dict[str, NodeSettings] = {}
    # The kubernetes target: the StatefulSet, its namespace and the kubeconfig context.
    kubernetes: KubernetesSettings | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Plan:
        if self.target == "kubernetes":
            if self.kubernetes is None:
                raise ValueError("the kubernetes target needs a [kubernetes] table (context = …)")
            if self.version.image is None:
                raise ValueError("version.image: missing (the node's container image)")
            if self.version.executable is not None:
                raise ValueError("version.executable: a container runs its image's chaindeck")
        elif self.kubernetes is not None:
            raise ValueError(f'[kubernetes] is for target = "kubernetes", not "{self.target}"')
        elif self.version.image is not None:
            raise ValueError(f'version.image: for target = "kubernetes", not "{self.target}"')
        if self.version.upload is not None and self.target != "ssh":
            raise ValueError(f'version.upload: for target = "ssh", not "{self.target}"')
        if self.target == "ssh":
            check_ssh_nodes(self.ssh, self.nodes)
            if self.deploy or self.rollback:
                raise ValueError('deploy and rollback are for target = "command", not "ssh"')
        else:
            check_not_ssh(self.target, self.ssh, self.nodes)
        for index, gate in enumerate(self.gates):
            if not isinstance(gate, LoadGate):
                continue
            for name in gate.workers_on:
                if self.target != "ssh":
                    raise ValueError(
                        f'gates[{index}].workers_on: for target = "ssh" (workers start on the '
                        f'hosts of its nodes), not "{self.target}"'
                    )
                if name not in self.nodes:
                    raise ValueError(
                        f'gates[{index}].workers_on: "{name}" is not a node of this plan '
                        f"(its nodes: {', '.join(self.nodes)})"
                    )
        if self.target != "local" and self.strategy == "blue-green":
            raise ValueError('blue-green adds nodes: it needs target = "local"')
        if self.target == "command":
            missing = [
                what
                for what in ("deploy", "rollback")
                if getattr(self, what) is None
                and not (self.nodes and all(getattr(n, what) for n in self.nodes.values()))
            ]
            if missing:
                raise ValueError(
                    f"the command target needs {' and '.join(missing)} commands (top level, "
                    "or in every [nodes.NAME])"
                )
        elif self.target == "local" and (self.nodes or self.deploy or self.rollback):
            raise ValueError(
                f'deploy, rollback and [nodes] are for target = "command", not "{self.target}"'
            )
        return self


def _where(loc: tuple[int | str, ...], tags: tuple[str, ...]) -> str:
    """`('gates', 1, 'metric', 'metric')` → `gates[1].metric`: a list's union tag (the kind that
    follows an index) is not a field."""
    out = ""
    after_index = False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            after_index = True
            continue
        if after_index and part in tags:
            after_index = False
            continue
        after_index = False
        out += f".{part}" if out else str(part)
    return out


def field_errors(exc: ValidationError, tags: tuple[str, ...]) -> str:
    """Pydantic's errors as a person reads them, each naming its field; `tags`: the kinds a
    list's items are told apart by (gates, stages)."""
    problems = []
    for error in exc.errors():
        where = _where(error["loc"], tags)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "union_tag_invalid":
            message = f"kind must be {', '.join(tags[:-1])} or {tags[-1]}"
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def parse_plan(text: str, source: str = "plan") -> Plan:
    """The plan in `text`, or PlanError naming the field; `source` names the file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(f"{source}: {field_errors(exc, GATE_KINDS)}") from None


def load_plan(path: Path) -> Plan:
    try:
        text = path.read_text()
    except OSError as exc:
        raise PlanError(f"{path}: {exc.strerror or exc}") from None
    return parse_plan(text, str(path))

"""A pipeline file (shared/spec/pipeline.md): TOML, validated before anything starts; an unknown
key is an error and every message names its field (`stages[2].thresholds: …`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from app.deploy.plan import PlanError, Seconds, Strict, Thresholds, field_errors, load_plan
from app.suites import BUNDLED

STAGE_KINDS = ("cluster", "test", "load", "deploy")


class PipelineError(ValueError):
    """A pipeline file that does not validate; the message names the field."""


class Stage(Strict):
    name: str = ""  # how reports name it; default: its kind and position
    continue_on_failure: bool = False


class ClusterStage(Stage):
    kind: Literal["cluster"]
    followers: int = Field(0, ge=0, le=16)
    args: list[str] = []


class TestStage(Stage):
    __test__ = False
    kind: Literal["test"]
    suites: list[str] = Field(default_factory=lambda: ["conformance"], min_length=1)
    target: str | None = None  # a node URL; default: every node of the pipeline's chain

    @field_validator("suites")
    @classmethod
    def _known(cls, suites: list[str]) -> list[str]:
        for suite in suites:
            if suite not in BUNDLED and not suite.endswith(".py") and "/" not in suite:
                raise ValueError(f"{suite!r}: {', '.join(BUNDLED)} or a path to your tests")
        return suites


class LoadStage(Stage):
    kind: Literal["load"]
    scenario: str = "transfers"
    users: int = Field(10, ge=1, le=10_000)
    duration: Seconds = 30.0
    rate: float | None = Field(None, gt=0)
    workers: int = Field(1, ge=1, le=64)
    thresholds: Thresholds = []
    target: str | None = None  # default: the pipeline's chain, users spread over its nodes
    # Workers on other machines, as `chaindeck load --ssh-worker` starts them; the key and
    # known_hosts paths are relative to this file.
    ssh_workers: list[str] = []  # USER@HOST[:PORT]
    ssh_key: str | None = None  # None: the SSH agent
    ssh_known_hosts: str | None = None  # None: ~/.ssh/known_hosts
    ssh_chaindeck: str = Field("chaindeck", min_length=1)

    @field_validator("ssh_workers")
    @classmethod
    def _hosts(cls, specs: list[str]) -> list[str]:
        from app.load.plan import LoadError
        from app.load.remote_workers import parse_host

        for spec in specs:
            try:
                parse_host(spec, None, None)
            except LoadError as exc:
                raise ValueError(str(exc).removeprefix("--ssh-worker ")) from None
        return specs


class DeployStage(Stage):
    kind: Literal["deploy"]
    plan: str  # relative to the pipeline file
    yes: bool = False  # approve its approval gates (a pipeline has no person to ask)


AnyStage = Annotated[
    ClusterStage | TestStage | LoadStage | DeployStage, Field(discriminator="kind")
]


class Pipeline(Strict):
    name: str = Field(min_length=1, max_length=200)
    stages: list[AnyStage] = Field(min_length=1)

    @model_validator(mode="after")
    def _a_chain_to_work_on(self) -> Pipeline:
        clusters = [i for i, s in enumerate(self.stages) if isinstance(s, ClusterStage)]
        if len(clusters) > 1:
            raise ValueError(f"stages[{clusters[1]}]: one cluster stage a pipeline")
        for i, stage in enumerate(self.stages):
            needs = isinstance(stage, TestStage | LoadStage) and stage.target is None
            if needs and not (clusters and clusters[0] < i):
                raise ValueError(
                    f"stages[{i}].target: no chain to {stage.kind}: give a target URL or put "
                    "a cluster stage before it"
                )
        return self

    def stage_name(self, index: int) -> str:
        stage = self.stages[index]
        return stage.name or f"{index + 1} {stage.kind}"


def load_pipeline(path: Path) -> Pipeline:
    """The pipeline in `path`, its deploy stages' plans checked too; PipelineError naming the
    field otherwise."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise PipelineError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"{path}: not valid TOML: {exc}") from None
    try:
        pipeline = Pipeline.model_validate(data)
    except ValidationError as exc:
        raise PipelineError(f"{path}: {field_errors(exc, STAGE_KINDS)}") from None
    for i, stage in enumerate(pipeline.stages):
        if isinstance(stage, DeployStage):
            try:
                load_plan(plan_path(path, stage))
            except PlanError as exc:
                raise PipelineError(f"{path}: stages[{i}].plan: {exc}") from None
    return pipeline


def plan_path(pipeline_file: Path, stage: DeployStage) -> Path:
    return (pipeline_file.parent / stage.plan).resolve()

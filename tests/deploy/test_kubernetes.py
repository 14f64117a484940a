"""`target = "kubernetes"`, as far as these machines can check it (no Kubernetes cluster runs
here): the rendered manifests pass strict schema validation offline (kubernetes-validate), and
the `kubectl` calls of a rollout, a canary and a rollback are checked against a recording
stand-in (tests/helpers/kubectl_standin.py) whose port-forwards reach a real node, so the gates
run as they would against pods."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from app.deploy.k8s_manifests import documents, render
from app.deploy.plan import parse_plan
from tests.deploy.support import chaindeck, events
from tests.helpers.node_process import NodeProcess

STANDIN = Path(__file__).resolve().parents[1] / "helpers" / "kubectl_standin.py"
K8S_VERSION = "1.30.0"
PLAN = """
name = "{name}"
cluster = "kube"
target = "kubernetes"
strategy = "{strategy}"
max_unavailable = {max_unavailable}
[version]
image = "{image}"
args = ["--block-time", "1", "--max-ws-clients", "50"]
[kubernetes]
context = "staging"
namespace = "chain"
replicas = {replicas}
[[gates]]
kind = "health"
within = "20s"
"""


def plan_text(
    image: str = "chaindeck-node:0.2",
    strategy: str = "rolling",
    max_unavailable: int = 1,
    replicas: int = 3,
) -> str:
    return PLAN.format(
        name=f"{strategy} {image}",
        strategy=strategy,
        max_unavailable=max_unavailable,
        image=image,
        replicas=replicas,
    )


def test_chaindeck_deploy_manifests_prints_the_first_creation(tmp_path: Path) -> None:
    """What the StatefulSet is created from: valid, every pod at the plan's version at once."""
    (tmp_path / "plan.toml").write_text(plan_text(replicas=3))
    run = chaindeck("deploy", str(tmp_path / "plan.toml"), "--manifests", data_dir=tmp_path)
    assert run.returncode == 0, run.stderr
    docs = documents(run.stdout)
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    assert docs[-1]["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 0
    assert not (tmp_path / "deployments").exists()  # nothing run, nothing recorded

    (tmp_path / "local.toml").write_text('name = "n"\ncluster = "c"\n')
    local = chaindeck("deploy", str(tmp_path / "local.toml"), "--manifests", data_dir=tmp_path)
    assert local.returncode == 2
    assert '--manifests is for target = "kubernetes" plans, not "local"' in local.stderr


@pytest.mark.parametrize("replicas", [1, 3])
def test_the_rendered_manifests_pass_strict_schema_validation(replicas: int) -> None:
    docs = documents(render(parse_plan(plan_text(replicas=replicas))))
    assert [d["kind"] for d in docs] == [
        "ConfigMap",
        "Service",
        "Service",
        "Service",
        "StatefulSet",
    ]
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    sts = docs[-1]
    assert sts["spec"]["replicas"] == replicas
    assert sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == replicas
    options = docs[0]["data"]
    assert options == {
        "PRODUCER_ARGS": "--block-time 1 --max-ws-clients 50",
        "FOLLOWER_ARGS": "--max-ws-clients 50",  # a follower takes the chain's from its producer
    }
    probe = sts["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe["httpGet"]["path"] == "/health"
    # Strict means strict: a field the schema does not have is refused.
    sts["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = probe
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(sts, K8S_VERSION, strict=True)


class Kubectl:
    """The stand-in on PATH, with one StatefulSet of three ready pods on revision r0."""

    def __init__(self, folder: Path, node: NodeProcess) -> None:
        self.folder = folder
        self.bin = folder / "bin"
        self.bin.mkdir(parents=True)
        kubectl = self.bin / "kubectl"
        kubectl.write_text(f'#!/bin/sh\nexec {sys.executable} {STANDIN} "$@"\n')
        kubectl.chmod(0o755)
        self.record = folder / "record.jsonl"
        self.state = folder / "state.json"
        state = {
            "sts": {"replicas": 3, "partition": 0, "update": "r0"},
            "revisions": {"r0": {"image": "chaindeck-node:0.1", "options": "chaindeck-options-0"}},
            "history": ["r0"],
            "configmaps": {"chaindeck-options-0": {"PRODUCER_ARGS": "--block-time 2"}},
            "pods": {str(i): {"revision": "r0", "ready": True} for i in range(3)},
        }
        self.state.write_text(json.dumps(state))
        self.port = node.url.rsplit(":", 1)[1]

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "KUBECTL_RECORD": str(self.record),
            "KUBECTL_STATE": str(self.state),
            "KUBECTL_FORWARD_TO": self.port,
        }

    def calls(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def sequence(self) -> list[str]:
        """The calls but the port-forwards, as words: `patch 2`, `rollout status`…"""
        said = []
        for call in self.calls():
            argv = call["argv"]
            assert argv[:4] == ["--context", "staging", "--namespace", "chain"], argv
            args = argv[4:]
            if args[0] == "port-forward":
                continue
            if args[0] == "patch":
                partition = json.loads(args[-1])["spec"]["updateStrategy"]["rollingUpdate"]
                said.append(f"patch {partition['partition']}")
            elif args[0] == "get":
                said.append(f"get {args[1]}")
            elif args[0] == "delete":
                said.append(f"delete {args[2]}")
            else:
                said.append(" ".join(args[:2]))
        return said

    def pods(self) -> dict[str, Any]:
        return json.loads(self.state.read_text())["pods"]


def deploy(tmp_path: Path, kubectl: Kubectl, text: str) -> Any:
    plan = tmp_path / "plan.toml"
    plan.write_text(text)
    env = {**os.environ, **kubectl.env()}
    return subprocess.run(
        [sys.executable, "-m", "app", "deploy", str(plan), "--json", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_a_rolling_update_lowers_the_partition_pod_by_pod(
    tmp_path: Path, node: NodeProcess
) -> None:
    kubectl = Kubectl(tmp_path, node)
    run = deploy(tmp_path, kubectl, plan_text())
    assert run.returncode == 0, run.stdout + run.stderr
    assert kubectl.sequence() == [
        "get statefulset",
        "get configmap",  # what the pods run now: the rollback's "from"
        "apply -f",  # the new revision, partition 3: no pod changes yet
        "patch 2",
        "rollout status",
        "patch 1",
        "rollout status",
        "patch 0",  # the producer last
        "rollout status",
    ]
    applied = next(c["stdin"] for c in kubectl.calls() if c["argv"][4] == "apply")
    for doc in documents(applied):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    lines = events(run.stdout)
    assert [e["node"] for e in lines if e["type"] == "step" and e["status"] == "done"] == [
        "chaindeck-2",
        "chaindeck-1",
        "chaindeck-0",
    ]
    gates = [e for e in lines if e["type"] == "gate"]
    assert len(gates) == 3 and all(g["status"] == "passed" for g in gates)  # through forwards
    assert lines[-1]["from"]["chaindeck-0"] == "chaindeck-node:0.1 --block-time 2"
    assert all(p["revision"] != "r0" and p["ready"] for p in kubectl.pods().values())


def test_a_canary_takes_the_highest_ordinal_alone_then_the_rest(
    tmp_path: Path, node: NodeProcess
) -> None:
    kubectl = Kubectl(tmp_path, node)
    run = deploy(tmp_path, kubectl, plan_text(strategy="canary", max_unavailable=2))
    assert run.returncode == 0, run.stdout + run.stderr
    patches = [s for s in kubectl.sequence() if s.startswith("patch")]
    assert patches == ["patch 2", "patch 1", "patch 0"]

    # Rolling two at a time: both followers in one step.
    kubectl = Kubectl(tmp_path / "again", node)
    run = deploy(tmp_path, kubectl, plan_text(max_unavailable=2))
    assert run.returncode == 0, run.stdout + run.stderr
    assert [s for s in kubectl.sequence() if s.startswith("patch")] == ["patch 1", "patch 0"]


def test_a_broken_image_is_rolled_back_and_its_stuck_pod_deleted(
    tmp_path: Path, node: NodeProcess
) -> None:
    kubectl = Kubectl(tmp_path, node)
    run = deploy(tmp_path, kubectl, plan_text(image="chaindeck-node:broken"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert kubectl.sequence() == [
        "get statefulset",
        "get configmap",
        "apply -f",
        "patch 2",
        "rollout status",  # chaindeck-2 never gets ready: the step fails
        "rollout undo",
        "patch 0",
        "get statefulset",  # its update revision is the old one again...
        "get pods",
        "delete chaindeck-2",  # ...but the controller will not replace a pod stuck on the bad one
        "rollout status",
    ]
    summary = events(run.stdout)[-1]
    assert summary["status"] == "rolled_back", summary
    assert (
        "kubectl rollout status: error: timed out waiting for the condition" in (summary["reason"])
    )
    assert all(p["revision"] == "r0" and p["ready"] for p in kubectl.pods().values())

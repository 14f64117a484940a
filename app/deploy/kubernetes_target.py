"""`target = "kubernetes"`: the cluster is a StatefulSet (packaging/k8s, rendered by
app/deploy/k8s_manifests.py) changed with `kubectl` in the plan's kubeconfig context.

The new version is applied with the rollout partition at the replica count, so no pod changes
until a step lowers it: a StatefulSet updates pods from the highest ordinal down, so followers
change first and the producer (ordinal 0) last, and a canary is the highest ordinal alone. Gates
read each pod's node through `kubectl port-forward`. Rollback is `kubectl rollout undo` with the
partition back to 0, then the deletion of pods left on the bad revision and not ready: with
OrderedReady pods the controller never replaces them itself (kubernetes#67250)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shlex
from pathlib import Path
from typing import Any

from app.clusters.cluster import ClusterMember
from app.clusters.folder import NodeVersion
from app.deploy.k8s_manifests import DATA_PORT, labels, render
from app.deploy.plan import Plan
from app.deploy.steps import UPGRADE, NodeRef, Step
from app.deploy.target import Log, StepFailed
from app.jobs import process_group

FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+)")


class KubectlError(StepFailed):
    """kubectl failed; the message has its last words."""


class KubernetesTarget:
    def __init__(self, plan: Plan, work_dir: Path) -> None:
        assert plan.kubernetes is not None  # the plan's validation saw to it
        self.plan = plan
        self.k8s = plan.kubernetes
        self.cluster = plan.cluster
        self.work_dir = work_dir
        self._before = NodeVersion(None, ())
        self._forwards: dict[str, tuple[asyncio.subprocess.Process, str]] = {}
        self._applied = False  # our manifests are in the cluster: a rollback has something to undo
        self._undone = False
        self._described = False

    # -- kubectl -----------------------------------------------------------------------------
    def kubectl(self, *args: str) -> list[str]:
        base = ["kubectl", "--context", self.k8s.context, "--namespace", self.k8s.namespace]
        if self.k8s.kubeconfig:
            base += ["--kubeconfig", str(Path(self.k8s.kubeconfig).expanduser())]
        return [*base, *args]

    async def _kubectl(self, *args: str, log: Log | None = None, stdin: str | None = None) -> str:
        """Its output (every line into `log` when given); KubectlError when it fails."""
        command = self.kubectl(*args)
        if log is not None:
            log(f"$ {shlex.join(['kubectl', *args])}")
        try:
            proc = await process_group.spawn(
                command,
                stdin=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        except FileNotFoundError:
            raise KubectlError(
                "kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)"
            ) from None
        out, _ = await proc.communicate(stdin.encode() if stdin is not None else None)
        text = out.decode(errors="replace")
        if log is not None:
            for line in text.splitlines():
                if line.strip():
                    log(f"  {line.rstrip()}")
        if proc.returncode != 0:
            last = text.strip().splitlines()[-1] if text.strip() else f"exit {proc.returncode}"
            raise KubectlError(f"kubectl {args[0]} {args[1] if len(args) > 1 else ''}: {last}")
        return text

    async def _json(self, *args: str) -> dict[str, Any]:
        return dict(json.loads(await self._kubectl(*args, "-o", "json")))

    # -- the cluster -------------------------------------------------------------------------
    def _pod(self, ordinal: int) -> str:
        return f"{self.k8s.statefulset}-{ordinal}"

    def nodes(self) -> list[NodeRef]:
        """The producer, then the followers from the highest ordinal down: the StatefulSet's
        own update order."""
        ordinals = [0, *range(self.k8s.replicas - 1, 0, -1)]
        return [
            NodeRef(
                self._pod(i),
                self._pod(i),
                "producer" if i == 0 else "follower",
                self._forwards[self._pod(i)][1] if self._pod(i) in self._forwards else "",
            )
            for i in ordinals
        ]

    def members(self) -> list[ClusterMember]:
        return [ClusterMember(n.name, n.url, n.role, None, None) for n in self.nodes()]

    def version_of(self, slug: str) -> NodeVersion:
        return self._before

    def green_slugs(self) -> list[str]:
        return []

    async def check(self) -> str | None:
        try:
            sts = await self._json("get", "statefulset", self.k8s.statefulset)
        except KubectlError as exc:
            return (
                f"{exc}: create the StatefulSet first "
                "(chaindeck deploy PLAN --manifests | kubectl --context CTX apply -f -)"
            )
        replicas = int(sts.get("spec", {}).get("replicas", 0))
        if replicas != self.k8s.replicas:
            return (
                f"kubernetes.replicas: the plan has {self.k8s.replicas}, the StatefulSet "
                f"{replicas} (scaling is not a deployment)"
            )
        try:
            self._before = await self._running_version(sts)
            await self._forward_all([n.slug for n in self.nodes()])
        except KubectlError as exc:
            await self.close()
            return str(exc)
        return None

    async def _running_version(self, sts: dict[str, Any]) -> NodeVersion:
        container = sts["spec"]["template"]["spec"]["containers"][0]
        args: tuple[str, ...] = ()
        for source in container.get("envFrom", []):
            name = source.get("configMapRef", {}).get("name")
            if name:
                data = (await self._json("get", "configmap", name)).get("data", {})
                args = tuple(shlex.split(data.get("PRODUCER_ARGS", "")))
        return NodeVersion(str(container.get("image")), args)

    async def _forward_all(self, pods: list[str]) -> None:
        await asyncio.gather(*(self._forward(p) for p in pods))

    async def _forward(self, pod: str) -> None:
        """`kubectl port-forward` to the pod (again: a restarted pod ends the old one)."""
        old = self._forwards.pop(pod, None)
        if old is not None:
            await process_group.stop(old[0], 2.0)
        proc = await process_group.spawn(
            self.kubectl("port-forward", f"pod/{pod}", f":{DATA_PORT}"),
            stderr=asyncio.subprocess.STDOUT,
        )
        assert proc.stdout is not None
        said = "no forwarding within 30 s"
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                while line := (await proc.stdout.readline()).decode(errors="replace"):
                    if match := FORWARDING.search(line):
                        self._forwards[pod] = (proc, f"http://127.0.0.1:{match.group(1)}")
                        return
                    said = line.strip() or said  # kubectl's own words, if it gives up
        await process_group.stop(proc, 2.0)
        raise KubectlError(f"kubectl port-forward pod/{pod}: {said}")

    async def close(self) -> None:
        for proc, _url in self._forwards.values():
            with contextlib.suppress(ProcessLookupError):
                await process_group.stop(proc, 2.0)
        self._forwards.clear()

    # -- steps -------------------------------------------------------------------------------
    def _partition(self, step: Step) -> int:
        return min(int(slug.rsplit("-", 1)[1]) for slug in step.nodes)

    async def apply(self, step: Step, version: NodeVersion, log: Log) -> None:
        if step.action != UPGRADE:
            raise StepFailed(f"the kubernetes target cannot {step.action} pods")
        if not self._applied:
            await self._kubectl("apply", "-f", "-", log=log, stdin=render(self.plan))
            self._applied = True
        await self._set_partition(self._partition(step), log)
        await self._rollout_status(log)
        await self._forward_all(list(step.nodes))

    async def _set_partition(self, partition: int, log: Log) -> None:
        patch = {"spec": {"updateStrategy": {"rollingUpdate": {"partition": partition}}}}
        await self._kubectl(
            "patch", "statefulset", self.k8s.statefulset, "--type", "merge", "-p",
            json.dumps(patch, separators=(",", ":")), log=log,
        )  # fmt: skip

    async def _rollout_status(self, log: Log) -> None:
        await self._kubectl(
            "rollout", "status", f"statefulset/{self.k8s.statefulset}", "--watch",
            f"--timeout={self.k8s.ready_within:.0f}s", log=log,
        )  # fmt: skip

    async def undo(self, step: Step, previous: dict[str, NodeVersion], log: Log) -> None:
        """The whole StatefulSet goes back at the first undo; later ones find it done."""
        if not self._applied:
            log("nothing was applied: nothing to undo")
            return
        if not self._undone:
            await self._kubectl("rollout", "undo", f"statefulset/{self.k8s.statefulset}", log=log)
            self._undone = True
            await self._set_partition(0, log)
            await self._delete_stuck_pods(log)
            await self._rollout_status(log)
        await self._forward_all(list(step.nodes))

    async def _delete_stuck_pods(self, log: Log) -> None:
        sts = await self._json("get", "statefulset", self.k8s.statefulset)
        current = sts.get("status", {}).get("updateRevision")
        selector = ",".join(f"{k}={v}" for k, v in labels(self.plan).items())
        pods = await self._json("get", "pods", "-l", selector)
        for pod in pods.get("items", []):
            revision = pod["metadata"].get("labels", {}).get("controller-revision-hash")
            conditions = pod.get("status", {}).get("conditions", [])
            ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
            if revision != current and not ready:
                name = pod["metadata"]["name"]
                log(f"{name}: stuck on revision {revision}, not ready: deleted (kubernetes#67250)")
                await self._kubectl("delete", "pod", name, "--wait=false", log=log)

    # -- words -------------------------------------------------------------------------------
    def describe(self, step: Step, version: NodeVersion) -> list[str]:
        lines = []
        if not self._described:  # the dry run describes the steps in order: the first applies
            self._described = True
            apply = shlex.join(self.kubectl("apply", "-f", "-"))
            lines.append(f"$ {apply}  (partition {self.k8s.replicas}: no pod changes yet)")
        image = self.plan.version.image
        lines.append(f"partition {self._partition(step)}: {', '.join(step.nodes)} take {image}")
        return lines

    def describe_undo(self, step: Step, previous: dict[str, NodeVersion]) -> list[str]:
        return [
            f"$ kubectl rollout undo statefulset/{self.k8s.statefulset}; partition 0; "
            "delete pods stuck on the bad revision"
        ]

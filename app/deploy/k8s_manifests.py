"""The Kubernetes manifests of a plan (packaging/k8s/*.yaml.j2, rendered with Jinja2): the node
as a StatefulSet whose ordinal 0 produces, a Service per role, a ConfigMap for the options."""

from __future__ import annotations

import hashlib
import shlex

import jinja2
import yaml

from app.clusters.cluster import follower_args
from app.deploy.plan import Plan
from app.resources import k8s_templates

TEMPLATES = ("configmap.yaml.j2", "services.yaml.j2", "statefulset.yaml.j2")
DATA_PORT = 8645


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(k8s_templates()),
        undefined=jinja2.StrictUndefined,  # a value the template names and we forgot: an error
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML: values go through tojson where they are not names
    )


def labels(plan: Plan) -> dict[str, str]:
    assert plan.kubernetes is not None
    return {
        "app.kubernetes.io/name": "chaindeck",
        "app.kubernetes.io/instance": plan.kubernetes.statefulset,
    }


def values(plan: Plan, partition: int | None = None) -> dict[str, object]:
    k8s = plan.kubernetes
    assert k8s is not None and plan.version.image is not None  # the plan's validation saw to it
    producer = shlex.join(plan.version.args)
    follower = shlex.join(follower_args(tuple(plan.version.args)))
    config = f"{plan.version.image}\n{producer}\n{follower}"
    digest = hashlib.sha256(config.encode()).hexdigest()[:10]
    return {
        "name": k8s.statefulset,
        "namespace": k8s.namespace,
        "labels": labels(plan),
        "replicas": k8s.replicas,
        "partition": k8s.replicas if partition is None else partition,
        "image": plan.version.image,
        "port": DATA_PORT,
        "storage": k8s.storage,
        "producer_args": producer,
        "follower_args": follower,
        "config_hash": digest,
        # one ConfigMap per version: a pod of the old revision that restarts keeps its options
        "options": f"{k8s.statefulset}-options-{digest}",
    }


def render(plan: Plan, partition: int | None = None) -> str:
    """Every manifest as one YAML stream. `partition`: pods from this ordinal up take the new
    revision (default: none of them, so applying it changes no pod until a step lowers it)."""
    env = _environment()
    parts = [env.get_template(t).render(values(plan, partition)) for t in TEMPLATES]
    return "---\n".join(parts)


def documents(text: str) -> list[dict[str, object]]:
    return [d for d in yaml.safe_load_all(text) if d]

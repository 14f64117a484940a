"""A plan's target tables (shared/spec/deploy.md): `[ssh]` and `[nodes."NAME"]` (targets `ssh`
and `command`: how each node's host is reached and its node driven, or a node's own commands;
the ssh target's settings come from `[ssh]` for every node, then the node's own table), and
`[kubernetes]` (where the StatefulSet lives)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.functional_validators import AfterValidator

from app.deploy.durations import Seconds

SSH_FIELDS = (
    "host",
    "port",
    "user",
    "key",
    "host_key",
    "known_hosts",
    "dir",
    "unit",
    "start",
    "stop",
    "status",
    "install",
    "snapshot",
    "restore",
    "ready_within",
)
COMMAND_FIELDS = ("deploy", "rollback")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _no_password(data: Any) -> Any:
    if isinstance(data, dict) and ("password" in data or "passphrase" in data):
        raise ValueError(
            "no password in a plan: log in with a key file (key = …) or the SSH agent, "
            "whose passphrases stay in your keyring"
        )
    return data


class SshSettings(_Strict):
    """One host and how its node is driven. Commands run in `dir` (made if missing) with the
    node's variables exported; `unit` drives a systemd unit instead of `start`/`stop`."""

    host: str | None = Field(None, min_length=1)
    port: int | None = Field(None, ge=1, le=65535)
    user: str | None = Field(None, min_length=1)  # None: your login name, as ssh does
    key: str | None = None  # a private key file; None: the SSH agent
    host_key: str | None = None  # the host's public key, pinned: "ssh-ed25519 AAAA…"
    known_hosts: str | None = None  # None: ~/.ssh/known_hosts
    dir: str | None = None  # where node.env, builds and snapshots live (default: chaindeck)
    unit: str | None = None
    start: str | None = None
    stop: str | None = None
    status: str | None = None  # what the node reports after a start (its output is logged)
    install: str | None = None  # runs before the node stops (a package, a download)
    snapshot: str | None = None  # copies the stopped node's data to $CHAINDECK_SNAPSHOT
    restore: str | None = None  # a rollback puts the snapshot back (only when given)
    ready_within: Seconds | None = None  # for /health to answer after a start (default 60 s)

    _check_password = model_validator(mode="before")(_no_password)


class NodeSettings(SshSettings):
    """`[nodes."NAME"]`: the ssh target's settings for one node, or the command target's own
    deploy and rollback commands for it."""

    deploy: str | None = None
    rollback: str | None = None


def merged(defaults: SshSettings, own: NodeSettings | None) -> SshSettings:
    """A node's ssh settings: its own table over `[ssh]`."""
    values = {k: v for k, v in defaults.model_dump().items() if v is not None}
    if own is not None:
        values.update({k: v for k in SSH_FIELDS if (v := getattr(own, k)) is not None})
    return SshSettings(**values)


def check_ssh_nodes(defaults: SshSettings, nodes: dict[str, NodeSettings]) -> None:
    """What target = "ssh" needs of every node named (ValueError naming the field)."""
    if not nodes:
        raise ValueError('the ssh target needs a [nodes."NAME"] table with the host of each node')
    for name, own in nodes.items():
        where = f'nodes."{name}"'
        for field in COMMAND_FIELDS:
            if getattr(own, field) is not None:
                raise ValueError(f'{where}.{field}: for target = "command", not "ssh"')
        node = merged(defaults, own)
        if node.host is None:
            raise ValueError(f"{where}.host: missing (the machine this node runs on)")
        if node.unit is not None and (node.start or node.stop):
            raise ValueError(f"{where}: a systemd unit, or start and stop commands, not both")
        if node.unit is None and not (node.start and node.stop):
            raise ValueError(f"{where}: needs a systemd unit, or start and stop commands")
        if node.restore is not None and node.snapshot is None:
            raise ValueError(f"{where}.restore: restores a snapshot, so it needs snapshot too")


def check_not_ssh(target: str, defaults: SshSettings, nodes: dict[str, NodeSettings]) -> None:
    """SSH settings in a plan for another target are a mistake to point out, not to ignore."""
    if defaults.model_dump(exclude_none=True):
        raise ValueError(f'[ssh] is for target = "ssh", not "{target}"')
    for name, own in nodes.items():
        for field in SSH_FIELDS:
            if getattr(own, field) is not None:
                raise ValueError(f'nodes."{name}".{field}: for target = "ssh", not "{target}"')


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _dns_label(value: str) -> str:
    if len(value) > 52 or not DNS_LABEL.match(value):
        raise ValueError("lower-case letters, digits and '-', at most 52 (a Kubernetes name)")
    return value


KubeName = Annotated[str, AfterValidator(_dns_label)]


class KubernetesSettings(_Strict):
    """`[kubernetes]`: the StatefulSet the plan changes (packaging/k8s renders it)."""

    context: str = Field(min_length=1)  # the kubeconfig context: never whatever is current
    kubeconfig: str | None = None  # None: kubectl's own ($KUBECONFIG, ~/.kube/config)
    namespace: KubeName = "default"
    statefulset: KubeName = "chaindeck"
    replicas: int = Field(3, ge=1, le=100)  # the producer and replicas - 1 followers
    storage: str = "1Gi"
    ready_within: Seconds = 300.0  # for a step's pods to be ready

"""A recording stand-in for `kubectl` (no Kubernetes cluster runs on these machines): every call
is appended to $KUBECTL_RECORD as JSON (its arguments, and what it read on stdin), and a small
model of one StatefulSet in $KUBECTL_STATE answers the calls a deployment makes: get, apply,
patch of the partition, rollout status / undo, delete pod, port-forward (to $KUBECTL_FORWARD_TO,
a real node's port). A pod whose image contains "broken" never becomes ready."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml

STATE = Path(os.environ["KUBECTL_STATE"])


def load() -> dict[str, Any]:
    return json.loads(STATE.read_text())


def save(state: dict[str, Any]) -> None:
    STATE.write_text(json.dumps(state, indent=1))


def converge(state: dict[str, Any]) -> None:
    """What the controller does: pods at or above the partition take the update revision,
    unless one is stuck not ready (OrderedReady waits for it, kubernetes#67250)."""
    sts = state["sts"]
    partition = sts["partition"]
    for ordinal in sorted(state["pods"], key=int, reverse=True):
        pod = state["pods"][ordinal]
        if int(ordinal) >= partition and pod["revision"] != sts["update"]:
            stuck = [p for p in state["pods"].values() if not p["ready"]]
            if stuck:
                return  # never replaced by the controller itself
            pod["revision"] = sts["update"]
            pod["ready"] = "broken" not in state["revisions"][sts["update"]]["image"]


def statefulset_json(state: dict[str, Any]) -> dict[str, Any]:
    sts = state["sts"]
    revision = state["revisions"][sts["update"]]
    return {
        "kind": "StatefulSet",
        "spec": {
            "replicas": sts["replicas"],
            "updateStrategy": {"rollingUpdate": {"partition": sts["partition"]}},
            "template": {
                "spec": {
                    "containers": [
                        {
                            "image": revision["image"],
                            "envFrom": [{"configMapRef": {"name": revision["options"]}}],
                        }
                    ]
                }
            },
        },
        "status": {"updateRevision": sts["update"]},
    }


def main(argv: list[str]) -> int:
    stdin = sys.stdin.read() if "-f" in argv and "-" in argv else None
    with open(os.environ["KUBECTL_RECORD"], "a") as record:
        record.write(json.dumps({"argv": argv, "stdin": stdin}) + "\n")
    args = [a for a in argv]
    while args and args[0].startswith("--"):  # --context X --namespace Y [--kubeconfig Z]
        args = args[2:]
    state = load()
    verb = args[0]
    if verb == "get" and args[1] == "statefulset":
        print(json.dumps(statefulset_json(state)))
    elif verb == "get" and args[1] == "configmap":
        print(json.dumps({"data": state["configmaps"][args[2]]}))
    elif verb == "get" and args[1] == "pods":
        items = [
            {
                "metadata": {
                    "name": f"chaindeck-{o}",
                    "labels": {"controller-revision-hash": p["revision"]},
                },
                "status": {"conditions": [{"type": "Ready", "status": str(p["ready"])}]},
            }
            for o, p in sorted(state["pods"].items())
        ]
        print(json.dumps({"items": items}))
    elif verb == "apply":
        assert stdin is not None
        for doc in yaml.safe_load_all(stdin):
            if doc and doc["kind"] == "ConfigMap":
                state["configmaps"][doc["metadata"]["name"]] = doc["data"]
            if doc and doc["kind"] == "StatefulSet":
                container = doc["spec"]["template"]["spec"]["containers"][0]
                image, options = container["image"], container["envFrom"][0]["configMapRef"]["name"]
                name = hashlib.sha256(f"{image}{options}".encode()).hexdigest()[:8]
                state["revisions"][name] = {"image": image, "options": options}
                state["history"].append(name)
                state["sts"]["update"] = name
                state["sts"]["partition"] = doc["spec"]["updateStrategy"]["rollingUpdate"][
                    "partition"
                ]
        print("statefulset.apps/chaindeck configured")
    elif verb == "patch":
        patch = json.loads(args[args.index("-p") + 1])
        state["sts"]["partition"] = patch["spec"]["updateStrategy"]["rollingUpdate"]["partition"]
        converge(state)
        print("statefulset.apps/chaindeck patched")
    elif verb == "rollout" and args[1] == "status":
        converge(state)
        sts = state["sts"]
        waiting = [
            o
            for o, p in state["pods"].items()
            if int(o) >= sts["partition"] and (p["revision"] != sts["update"] or not p["ready"])
        ]
        save(state)
        if waiting:
            print(f"Waiting for partitioned roll out to finish: pod chaindeck-{waiting[0]}")
            print("error: timed out waiting for the condition", file=sys.stderr)
            return 1
        print("partitioned roll out complete")
    elif verb == "rollout" and args[1] == "undo":
        state["history"].append(state["history"][-2])
        state["sts"]["update"] = state["history"][-1]
        print("statefulset.apps/chaindeck rolled back")
    elif verb == "delete" and args[1] == "pod":
        ordinal = args[2].rsplit("-", 1)[1]
        update = state["sts"]["update"]
        state["pods"][ordinal] = {
            "revision": update,
            "ready": "broken" not in state["revisions"][update]["image"],
        }
        print(f'pod "{args[2]}" deleted')
    elif verb == "port-forward":
        print(f"Forwarding from 127.0.0.1:{os.environ['KUBECTL_FORWARD_TO']} -> 8645", flush=True)
        time.sleep(3600)
    else:
        print(f"kubectl stand-in: not modelled: {args}", file=sys.stderr)
        return 2
    save(state)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Print a deployment plan's Kubernetes manifests, for the StatefulSet's first creation:

    .venv/bin/python packaging/k8s/render.py PLAN [--partition N] | kubectl --context CTX apply -f -

`chaindeck deploy PLAN` changes it afterwards. The partition defaults to 0 here (every pod runs
the plan's version at once: nothing runs yet to roll from)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.deploy.k8s_manifests import render
from app.deploy.plan import PlanError, load_plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("--partition", type=int, default=0)
    args = parser.parse_args()
    try:
        plan = load_plan(args.plan)
    except PlanError as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 2
    if plan.target != "kubernetes":
        print(f'render: {args.plan}: target = "kubernetes" plans only', file=sys.stderr)
        return 2
    sys.stdout.write(render(plan, args.partition))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

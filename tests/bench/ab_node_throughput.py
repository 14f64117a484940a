"""Before and after (not a test): node_throughput.py on another commit and on this tree, runs
alternating so both see the same moments of a noisy machine; prints each side's medians.

    .venv/bin/python tests/bench/ab_node_throughput.py REV [--rounds 3] [-- node_throughput args]

REV is checked out in a temporary git worktree (removed afterwards). Default phases: 500 one by
one, 10,000 at 32 in flight, 50,000 in batches of 100, no anvil.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ["--one", "500", "--inflight", "10000", "--batched", "50000", "--anvil-count", "0"]
FIGURE = re.compile(r"^  (.+?)\s{2,}([\d,.]+)$")


def run(tree: Path, args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "tests/bench/node_throughput.py", "--repeat", "1", *args],
        cwd=tree,  # `python -m app` in the node's command resolves from here
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {}
    for line in out.splitlines():
        match = FIGURE.match(line)
        if match:
            figures[match[1]] = float(match[2].replace(",", ""))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev")
    parser.add_argument("--rounds", type=int, default=3)
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    options = parser.parse_args(argv[:split])
    args = argv[split + 1 :] or DEFAULT  # after --: node_throughput.py's own arguments
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(old), options.rev],
            cwd=ROOT,
            check=True,
        )
        try:
            sides: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
            for n in range(options.rounds):
                for name, tree in (("before", old), ("after", ROOT)):
                    sides[name].append(run(tree, args))
                    print(f"round {n + 1} {name}: done", file=sys.stderr)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT)
    print(f"medians of {options.rounds} alternating runs: {options.rev} (before) vs this tree")
    for key in sides["after"][0]:
        before = statistics.median(r.get(key, float("nan")) for r in sides["before"])
        after = statistics.median(r[key] for r in sides["after"])
        print(f"  {key:58} {before:12,.2f} {after:12,.2f}  x{after / before:.2f}")


if __name__ == "__main__":
    main()

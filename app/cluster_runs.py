"""The verdict of one suite run over a cluster's nodes, in words: "2 of 3 nodes passed;
follower-2 unreachable: connection refused"."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ClusterRun:
    """The runs started together on every node of a cluster, and how each ended."""

    nodes: list[str]
    ended: dict[str, tuple[bool, str]] = field(default_factory=dict)  # node → passed, why not

    def finish(self, node: str, passed: bool, why: str) -> None:
        self.ended[node] = (passed, why)

    @property
    def done(self) -> bool:
        return len(self.ended) >= len(self.nodes)

    def summary(self) -> str:
        passed = sum(1 for ok, _why in self.ended.values() if ok)
        total = len(self.nodes)
        head = f"{passed} of {total} node{'s' if total != 1 else ''} passed"
        failed = []
        for node in self.nodes:
            passed_here, why = self.ended.get(node, (True, ""))
            if why.startswith("cannot reach"):
                why = "unreachable"
            if not passed_here:
                failed.append(f"{node}: {why}" if why else f"{node} failed")
        return "; ".join([head, *failed])

"""`chaindeck node`. The one place where the app reaches into backend/: to run the node
process itself (the frozen bundle runs its embedded node through this command). Everything
else in the app talks to nodes over HTTP and WebSocket only."""

from __future__ import annotations


def run_node(argv: list[str]) -> int:
    from backend.cli import main

    return main(argv, prog="chaindeck node")

"""`chaindeck`: one entry point, one subcommand a job. Commands arrive with their features."""

from __future__ import annotations

import argparse
import sys

from backend import __version__


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="chaindeck", description="ChainDeck: a control room for blockchain nodes."
    )
    parser.add_argument("--version", action="version", version=f"chaindeck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("gui", help="the desktop app (chaindeck gui --help)", add_help=False)
    commands.add_parser("node", help="run a node in the foreground", add_help=False)
    commands.add_parser("test", help="run a test suite against a node", add_help=False)
    commands.add_parser("status", help="one status snapshot of a node", add_help=False)
    commands.add_parser("watch", help="follow new blocks live", add_help=False)
    if argv and argv[0] == "gui":
        from app.cli.gui_command import run_gui

        return run_gui(argv[1:])
    if argv and argv[0] == "node":
        # The node owns its options; the same parser serves `python -m backend`.
        from app.cli.node_command import run_node

        return run_node(argv[1:])
    if argv and argv[0] == "test":
        from app.cli.test_command import run_test

        return run_test(argv[1:])
    if argv and argv[0] in ("status", "watch"):
        from app.cli.status_command import run_status, run_watch

        return (run_status if argv[0] == "status" else run_watch)(argv[1:])
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return 0

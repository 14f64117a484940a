"""`chaindeck`: the one entry point, from source (`chaindeck`, `python -m app`, `python main.py`)
and from the bundle alike. A command runs the function the registry (commands.py) names; no
command opens the window where there is a display, and prints the commands where there is not;
gui options alone (`chaindeck --profile lab`) open the window with them."""

from __future__ import annotations

import argparse
import sys

from app.cli.commands import BY_NAME, COMMANDS, has_display
from backend import __version__


class CommandsFormatter(argparse.HelpFormatter):
    """Every command's name and help on one line: argparse measures the commands' names before
    it indents them, so a long one (`load-worker`) would push its help to the next line."""

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):
            longest = max((len(name) for name in action.choices), default=0)
            self._action_max_length = max(
                self._action_max_length, longest + 2 * self._indent_increment
            )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chaindeck",
        description="ChainDeck: a control room for blockchain nodes. "
        "With no command it opens the window.",
        epilog="Each command has its own --help.",
        formatter_class=CommandsFormatter,
    )
    p.add_argument("--version", action="version", version=f"chaindeck {__version__}")
    commands = p.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        if command.listed:
            commands.add_parser(command.name, help=command.help, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in BY_NAME:
        return int(BY_NAME[argv[0]].load()(argv[1:]))
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        if has_display():
            return int(BY_NAME["gui"].load()(argv))
        if not argv:
            parser().print_help(sys.stderr)
            print("\nchaindeck: no display to open the window on: name a command", file=sys.stderr)
            return 2
    parser().parse_args(argv)  # --help, --version, or an unknown command: argparse says so
    return 2

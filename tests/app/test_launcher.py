"""One entry point and one command list: `chaindeck`, `python -m app` and `python main.py` (the
bundle's script) reach the same registry; no command means the window where there is a display
and the list of commands (exit 2) where there is not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.commands import COMMANDS, has_display
from app.cli.main import main

ROOT = Path(__file__).parents[2]
NO_DISPLAY = {
    k: v
    for k, v in os.environ.items()
    if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
}


def chaindeck(*args: str, launcher: tuple[str, ...] = ("-m", "app")) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *launcher, *args],
        capture_output=True,
        text=True,
        env=NO_DISPLAY,
        cwd=ROOT,
        timeout=60,
    )


def test_no_command_without_a_display_lists_the_commands_and_exits_2() -> None:
    done = chaindeck()
    assert done.returncode == 2 and "no display" in done.stderr
    for command in COMMANDS:
        assert (f"    {command.name} " in done.stderr) == command.listed, command.name
    helped = chaindeck("--help", launcher=("main.py",))  # the bundle's script: same list
    assert helped.returncode == 0
    assert [c.name for c in COMMANDS if f"    {c.name} " in helped.stdout] == [
        c.name for c in COMMANDS if c.listed
    ]


def test_every_command_in_the_registry_loads_and_answers_help() -> None:
    for command in COMMANDS:
        function = command.load()
        assert callable(function)
        if command.listed:
            with pytest.raises(SystemExit) as ended:
                function(["--help"])
            assert ended.value.code == 0, command.name


def test_main_py_and_the_module_reach_the_same_commands() -> None:
    for launcher in (("-m", "app"), ("main.py",)):
        done = chaindeck("--version", launcher=launcher)
        assert done.returncode == 0 and done.stdout.startswith("chaindeck ")
        done = chaindeck("status", "http://127.0.0.1:1", launcher=launcher)
        assert done.returncode == 2 and done.stderr.startswith("chaindeck status:")


def test_an_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["frobnicate"])
    assert ended.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_a_display_is_what_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(variable, raising=False)
    assert has_display() == (sys.platform in ("darwin", "win32"))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert has_display()

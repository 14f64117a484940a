"""`chaindeck pytest ...`: pytest inside the bundle, whose Python cannot be run by itself, so
that test runs work from an installed ChainDeck (app/resources.pytest_command)."""

from __future__ import annotations


def run_pytest(argv: list[str]) -> int:
    import pytest

    return int(pytest.main(argv))

"""Test suites shipped with ChainDeck, run by pytest against any node (see `plugin.py` for the
fixtures every suite, bundled or the user's own, receives)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLED = {"conformance": HERE / "conformance", "e2e": HERE / "e2e"}
PURSE_COINS = 100  # what a run of the bundled suites moves into its purse (plugin.py)


def what_a_run_writes(suites: list[str], target: str) -> str:
    """Said before a run starts: what the chosen suites will write to the chain they test."""
    bundled = [s for s in suites if s in BUNDLED]
    own = len(suites) - len(bundled)
    if not suites:
        return ""
    parts = []
    if bundled:
        parts.append(
            f"Writes to {target or 'the target'}'s chain: moves up to {PURSE_COINS} coins from "
            "its richest wallet into a new wallet labelled test-run-…, which funds the tests' "
            "throwaway accounts, and gives back what is left at the end; wallets the run makes "
            "carry that label; mines a few blocks. Your wallets lose only what the tests spend "
            "and the fees. On an Ethereum node: sends 1 gwei between its first two unlocked "
            "accounts."
        )
    if own:
        parts.append("Your own suites write whatever they write.")
    return " ".join(parts)


class SuiteError(ValueError):
    """A suite name or folder that cannot be run; the message is for the user."""


def suite_path(name_or_path: str) -> Path:
    """A bundled suite by name, or the user's own pytest folder (or file)."""
    if name_or_path in BUNDLED:
        return BUNDLED[name_or_path]
    path = Path(name_or_path).expanduser()
    if not path.exists():
        known = ", ".join(BUNDLED)
        raise SuiteError(f"no suite {name_or_path!r}: use {known} or the path of a pytest folder")
    if path.is_file() and path.suffix != ".py":
        raise SuiteError(f"{path} is not a Python test file or folder")
    return path.resolve()


def suite_name(path: Path) -> str:
    for name, bundled in BUNDLED.items():
        if path == bundled:
            return name
    return str(path)

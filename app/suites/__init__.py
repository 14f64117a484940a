"""Test suites shipped with ChainDeck, run by pytest against any node (see `plugin.py` for the
fixtures every suite, bundled or the user's own, receives)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLED = {"conformance": HERE / "conformance", "e2e": HERE / "e2e"}


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

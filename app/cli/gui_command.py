"""`chaindeck gui`: hands over to the composition root (main.py), which sits above every layer
and is the only module that may build widgets. Imported by name at run time because app/ must
not depend on what is above it; this is the launcher, not a dependency."""

from __future__ import annotations

import importlib


def run_gui(argv: list[str]) -> int:
    root = importlib.import_module("main")
    return int(root.entry(["gui", *argv]))

"""The import rules of DESIGN.md that import-linter cannot express, checked from the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "backend": ("PySide6", "pyqtgraph", "qasync", "widgets", "app"),
    "app": ("PySide6.QtWidgets", "PySide6.QtGui", "pyqtgraph", "widgets", "main"),
    "widgets": ("backend", "main"),
}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            for forbidden in FORBIDDEN[package]:
                if module == forbidden or module.startswith(forbidden + "."):
                    bad.append(f"{path.relative_to(ROOT)} imports {module}")
    return bad


def test_backend_imports_no_qt_and_no_app() -> None:
    assert violations("backend") == []


def test_app_imports_no_widgets_qtwidgets_qtgui_or_pyqtgraph() -> None:
    assert violations("app") == []


def test_widgets_reach_nodes_only_through_app() -> None:
    assert violations("widgets") == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from PySide6.QtWidgets import QLabel\nimport pyqtgraph as pg\n")
    assert {"PySide6.QtWidgets", "PySide6.QtWidgets.QLabel", "pyqtgraph"} <= imported_modules(
        sample
    )


def test_the_qt_free_contract_names_every_part_of_app_but_services() -> None:
    """A new folder or module in app/ must be named in the contract, or it could import Qt."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["name"].startswith("Qt stays in app/services")
    )
    parts = {
        f"app.{p.stem}"
        for p in (ROOT / "app").iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists())
        and p.stem not in ("__init__", "__main__", "services", "__pycache__")
    }
    assert set(contract["source_modules"]) == parts

"""The one way to find bundled resources, from a source checkout and from a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def resource_root() -> Path:
    if frozen():
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def k8s_templates() -> Path:
    """packaging/k8s: the Kubernetes manifests' templates (the bundle ships them too)."""
    if frozen():
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "packaging" / "k8s"
    return Path(__file__).resolve().parent.parent / "packaging" / "k8s"


def resource_path(*parts: str) -> Path:
    path = resource_root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"resource missing: {path}")
    return path


def node_command() -> list[str]:
    """How to start `chaindeck node` with this very installation (frozen: the same executable)."""
    if frozen():
        return [sys.executable, "node"]
    return [sys.executable, "-m", "app", "node"]


def pytest_command() -> list[str]:
    """How to run pytest with this installation (frozen: the executable's hidden `pytest`)."""
    if frozen():
        return [sys.executable, "pytest"]
    return [sys.executable, "-m", "pytest"]


def locust_command() -> list[str]:
    """How to run Locust with this installation (frozen: the executable's hidden `locust`)."""
    if frozen():
        return [sys.executable, "locust"]
    return [sys.executable, "-m", "locust"]

"""The desktop entry and AppStream metadata are valid by the freedesktop tools, and name the
icon and command the packages install."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "resources" / "chaindeck.desktop"
METAINFO = ROOT / "resources" / "org.chaindeck.ChainDeck.metainfo.xml"


def tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (Debian package {package}; .ci/run installs it)")
    return found


def test_the_desktop_entry_is_valid_and_runs_chaindeck() -> None:
    done = subprocess.run(
        [tool("desktop-file-validate", "desktop-file-utils"), str(DESKTOP)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment, method-assign]
    entry.read(DESKTOP)
    assert entry["Desktop Entry"]["Exec"].split()[0] == "chaindeck"
    assert entry["Desktop Entry"]["Icon"] == "chaindeck"
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (ROOT / "resources" / "icons" / f"chaindeck-{size}.png").exists()


def test_the_appstream_metadata_is_valid() -> None:
    done = subprocess.run(
        [tool("appstreamcli", "appstream"), "validate", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert '<launchable type="desktop-id">chaindeck.desktop</launchable>' in METAINFO.read_text()

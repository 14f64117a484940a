"""Build an AppImage from a one-folder bundle (`make appimage`): an AppDir (AppRun, the desktop
entry, the icon, AppStream metadata, the bundle under usr/lib/chaindeck), then appimagetool.

    python packaging/appimage.py BUNDLE_DIR OUT_DIR   →   OUT_DIR/ChainDeck-<arch>.AppImage

appimagetool (and the AppImage runtime it embeds) is published only on GitHub, in no Debian,
PyPI or npm package: where it is not on PATH (or in $APPIMAGETOOL) the AppDir is built, runs as
it is (AppDir/AppRun), and the script says how to get the tool; it exits 2.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
APPRUN = """#!/bin/sh
# The AppImage's entry point: the bundle's own executable, whatever the current directory.
HERE="$(dirname "$(readlink -f "$0")")"
exec "$HERE/usr/lib/chaindeck/chaindeck" "$@"
"""
TOOL_URL = "https://github.com/AppImage/appimagetool/releases"


def app_dir(bundle: Path, out: Path) -> Path:
    if not (bundle / "chaindeck").is_file():
        raise SystemExit(f"no bundle at {bundle}: run `make bundle` first")
    target = out / "ChainDeck.AppDir"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(bundle, target / "usr" / "lib" / "chaindeck", symlinks=True)
    apprun = target / "AppRun"
    apprun.write_text(APPRUN)
    apprun.chmod(0o755)
    shutil.copy(RESOURCES / "chaindeck.desktop", target / "chaindeck.desktop")
    shutil.copy(RESOURCES / "icons" / "chaindeck-256.png", target / "chaindeck.png")
    (target / ".DirIcon").symlink_to("chaindeck.png")
    metainfo = target / "usr" / "share" / "metainfo"
    metainfo.mkdir(parents=True)
    shutil.copy(RESOURCES / "org.chaindeck.ChainDeck.metainfo.xml", metainfo)
    return target


def appimagetool() -> str | None:
    return os.environ.get("APPIMAGETOOL") or shutil.which("appimagetool")


def build(bundle: Path, out: Path) -> Path:
    folder = app_dir(bundle, out)
    tool = appimagetool()
    if tool is None:
        print(
            f"AppDir ready: {folder} (run it as {folder / 'AppRun'}).\n"
            f"appimagetool is not installed: it is published only on GitHub ({TOOL_URL}). "
            "Download it, make it executable, put it on PATH (or set APPIMAGETOOL) and run "
            "`make appimage` again.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    target = out / f"ChainDeck-{platform.machine()}.AppImage"
    subprocess.run(
        [tool, "--no-appstream", str(folder), str(target)],
        check=True,
        env={**os.environ, "ARCH": platform.machine()},
    )
    return target


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    print(build(Path(sys.argv[1]), Path(sys.argv[2])))

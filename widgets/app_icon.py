"""ChainDeck's icon in every size it is drawn at (resources/icons, from chaindeck.svg)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from app.resources import resource_root

SIZES = (16, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    icon = QIcon()
    for size in SIZES:
        path = resource_root() / "icons" / f"chaindeck-{size}.png"
        if path.exists():
            icon.addFile(str(path), QSize(size, size))
    return icon

"""The real main window with its embedded devnet, offscreen, for the widget tests."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from main import Composition, Options
from tests.qt_support import close_session_loop, qloop, run  # noqa: F401 - fixtures


@pytest.fixture
def deck(qtbot: QtBot, qloop: Any, tmp_path: Path) -> Iterator[Composition]:  # noqa: F811
    composition = Composition(Options(data_dir=tmp_path, ephemeral=True))
    composition.window.show()
    try:
        run(qtbot, composition.start(), timeout=60)
        qtbot.waitUntil(lambda: composition.node.state == "live", timeout=10000)
        qtbot.waitUntil(lambda: len(composition.wallets.wallets) == 10, timeout=10000)
        yield composition
    finally:
        run(qtbot, composition.stop(), timeout=60)
        composition.window.deleteLater()
        gc.collect()

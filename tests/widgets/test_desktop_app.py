"""The window as a desktop application: its icon, Help (shortcuts, about with versions, logs and
data folders), rotated logs and a crash log, and keep-monitoring on close."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import logs
from main import Composition


def test_the_window_has_its_icon_and_help(qtbot: QtBot, deck: Composition) -> None:
    window = deck.window
    assert not window.windowIcon().isNull()
    sizes = {size.width() for size in window.windowIcon().availableSizes()}
    assert {16, 32, 48, 256} <= sizes
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    titles = [a.text() for a in help_menu.actions() if a.text()]
    assert titles == [
        "&Keyboard shortcuts",
        "Open &logs folder",
        "Open &data folder",
        "&About ChainDeck",
    ]
    shortcuts = window.show_shortcuts()
    rows = {
        (shortcuts.table.item(r, 1).text(), shortcuts.table.item(r, 2).text())
        for r in range(shortcuts.table.rowCount())
    }
    assert ("Ctrl+K / Ctrl+F", "Search") in rows and ("Ctrl+T", "Transactions") in rows
    assert ("F1", "Keyboard shortcuts") in rows
    shortcuts.reject()
    about = window.show_about()
    text = about.text.text()
    assert "Qt (PySide6)" in text and "pyqtgraph" in text and str(deck.paths.logs) in text
    about.reject()


def test_keep_monitoring_hides_the_window_and_quit_still_quits(
    qtbot: QtBot, deck: Composition
) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    from widgets.app_icon import app_icon

    window = deck.window
    if window.tray.icon is None:  # offscreen Qt offers no tray: give the window one of its own
        window.tray.use_icon(QSystemTrayIcon(app_icon(), window))
    closed: list[bool] = []
    window.closing.connect(lambda: closed.append(True))
    window.keep_monitoring.setChecked(True)
    assert deck.settings.get("keep_monitoring") is True
    window.close()
    assert not window.isVisible() and closed == []  # still monitoring
    tray = window.tray
    assert tray.icon is not None
    menu = {a.text(): a for a in tray.icon.contextMenu().actions()}
    menu["Alerts"].trigger()  # the window comes back on the Alerts tab
    assert window.isVisible() and window.tabs.currentWidget() is window.alerts_panel
    tray.alerts_changed([object(), object()])  # type: ignore[list-item]
    assert tray.icon.toolTip() == "ChainDeck: 2 alerts"
    tray.alerts_changed([])
    assert tray.icon.toolTip() == "ChainDeck: no alerts"
    menu["Quit ChainDeck"].trigger()
    assert closed == [True]


def test_logs_rotate_and_a_crash_log_is_kept(tmp_path: Path) -> None:
    from app.paths import AppPaths

    paths = AppPaths.at(tmp_path)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        logs.setup(paths)
        logging.getLogger("chaindeck.test").info("hello from the test")
        for handler in root.handlers:
            handler.flush()
        assert "hello from the test" in paths.app_log.read_text()
        assert paths.crash_log.exists()
    finally:
        root.setLevel(level)
        for handler in root.handlers:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        import faulthandler

        faulthandler.disable()
    log = tmp_path / "node.log"
    for n in range(5):
        log.write_text(f"generation {n}\n")
        logs.rotate(log)
    kept = sorted(p.name for p in tmp_path.glob("node.log*"))
    assert kept == ["node.log.1", "node.log.2", "node.log.3"]
    assert (tmp_path / "node.log.1").read_text() == "generation 4\n"


def test_without_a_chosen_folder_logs_go_to_the_platforms_log_folder(
    monkeypatch: object, tmp_path: Path
) -> None:
    import os

    from app.paths import AppPaths

    os.environ.pop("CHAINDECK_DATA_DIR", None)
    home = tmp_path / "home"
    os.environ["XDG_DATA_HOME"], os.environ["XDG_STATE_HOME"] = str(home / "d"), str(home / "s")
    try:
        paths = AppPaths.at()
        assert paths.root == (home / "d" / "chaindeck").resolve()
        assert paths.logs == home / "s" / "chaindeck" / "log"
        assert paths.app_log.parent.is_dir()
    finally:
        del os.environ["XDG_DATA_HOME"], os.environ["XDG_STATE_HOME"]


def test_shortcut_f1_opens_the_shortcuts(qtbot: QtBot, deck: Composition) -> None:
    from widgets.help_dialogs import ShortcutsDialog

    qtbot.keyClick(deck.window, Qt.Key.Key_F1)
    dialog = deck.window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()

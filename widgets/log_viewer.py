"""A node's log, live: the last lines, then each new one; filter as you type, follow the end
unless the user scrolled up, copy, open the file's folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFont, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.log_follower import LogFollower

MAX_LINES = 20_000  # kept in the view; older ones stay in the file


class LogViewer(QDialog):
    def __init__(self, title: str, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Log: {title}")
        self.path = path
        self.lines: list[str] = []
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFont("monospace"))
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setPlaceholderText(f"Nothing logged yet in {path}")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Show only lines containing… (any case)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._refilter)
        self.follow = QCheckBox("Follow")
        self.follow.setChecked(True)
        self.follow.setToolTip("Keep the newest line in view")
        folder = QPushButton("Open folder")
        folder.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
        )
        where = QLabel(str(path))
        where.setToolTip("The log file")
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.follow)
        bottom = QHBoxLayout()
        bottom.addWidget(where, 1)
        bottom.addWidget(folder)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addLayout(bottom)
        self.resize(1000, 560)
        self.follower = LogFollower(path, self)
        self.follower.linesAdded.connect(self.add_lines)
        self.follower.restarted.connect(self._restarted)
        self.follower.start()
        self.finished.connect(lambda _result: self.follower.stop())

    def _matches(self, line: str) -> bool:
        wanted = self.filter.text().strip().lower()
        return not wanted or wanted in line.lower()

    def add_lines(self, lines: list[str]) -> None:
        self.lines.extend(lines)
        del self.lines[:-MAX_LINES]
        shown = [line for line in lines if self._matches(line)]
        if shown:
            self.text.appendPlainText("\n".join(shown))
            if self.follow.isChecked():
                self.text.moveCursor(QTextCursor.MoveOperation.End)
                self.text.ensureCursorVisible()

    def _refilter(self) -> None:
        self.text.setPlainText("\n".join(line for line in self.lines if self._matches(line)))
        self.text.moveCursor(QTextCursor.MoveOperation.End)

    def _restarted(self) -> None:
        self.lines.clear()
        self.text.setPlainText("")

    def shown_text(self) -> str:
        return self.text.toPlainText()

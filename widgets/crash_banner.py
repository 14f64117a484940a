"""Shown when the embedded devnet stops on its own: why (the tail of its log) and Restart."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout


class CrashBanner(QFrame):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("crashBanner")
        self.title = QLabel()
        self.title.setObjectName("errorText")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumHeight(160)
        self.restart = QPushButton("Restart devnet")
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        row.addWidget(self.restart)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.log)
        self.hide()

    def show_crash(self, title: str, tail: str) -> None:
        self.title.setText(title)
        self.log.setPlainText(tail or "(the node wrote nothing to its log)")
        self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())
        self.show()

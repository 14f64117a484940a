"""Saved connections to remote ChainDeck nodes: add, test, delete, switch to."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.clients.errors import NodeError
from app.credentials import CredentialError
from app.services.connections_service import ConnectionsService, ProfileError


class ConnectionsDialog(QDialog):
    connectRequested = Signal(str)

    def __init__(self, connections: ConnectionsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connections")
        self.setMinimumWidth(560)
        self.connections = connections
        self.list = QListWidget()
        self.list.currentTextChanged.connect(self._selected)
        self.name = QLineEdit()
        self.url = QLineEdit()
        self.url.setPlaceholderText("http://host:8645")
        self.username = QLineEdit()
        self.username.setPlaceholderText("operator (optional: reads need none)")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the OS keyring")
        self.result = QLabel()
        self.result.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("URL", self.url)
        form.addRow("Operator", self.username)
        form.addRow("Password", self.password)
        self.test_button = QPushButton("Test")
        self.save_button = QPushButton("Save")
        self.delete_button = QPushButton("Delete")
        self.connect_button = QPushButton("Connect")
        self.test_button.clicked.connect(self._test)
        self.save_button.clicked.connect(self._save)
        self.delete_button.clicked.connect(self._delete)
        self.connect_button.clicked.connect(self._connect)
        buttons = QHBoxLayout()
        for button in (self.test_button, self.save_button, self.delete_button, self.connect_button):
            buttons.addWidget(button)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.result)
        right.addStretch(1)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(right, 2)
        connections.profilesChanged.connect(lambda _p: self._fill())
        self._fill()

    def _fill(self) -> None:
        self.list.clear()
        self.list.addItems([p["name"] for p in self.connections.profiles])

    def _selected(self, name: str) -> None:
        profile = self.connections.profile(name)
        if profile:
            self.name.setText(profile["name"])
            self.url.setText(profile["url"])
            self.username.setText(profile.get("username") or "")
            self.password.clear()

    def _say(self, text: str, ok: bool) -> None:
        self.result.setObjectName("okText" if ok else "errorText")
        self.result.setStyleSheet("")  # re-apply the theme's rule for the new name
        self.result.setText(text)

    @asyncSlot()
    async def _test(self) -> None:
        self.test_button.setEnabled(False)
        self._say("Testing…", True)
        try:
            summary = await self.connections.test(
                self.url.text(), self.username.text(), self.password.text()
            )
            self._say(f"Connected: {summary}", True)
        except NodeError as exc:
            self._say(f"Failed: {exc}", False)
        finally:
            self.test_button.setEnabled(True)

    @asyncSlot()
    async def _save(self) -> None:
        try:
            await self.connections.save(
                self.name.text().strip(),
                self.url.text(),
                self.username.text(),
                self.password.text(),
            )
            self._say(f"Saved “{self.name.text().strip()}”.", True)
        except (ProfileError, CredentialError) as exc:
            self._say(str(exc), False)

    @asyncSlot()
    async def _delete(self) -> None:
        name = self.name.text().strip()
        if self.connections.profile(name):
            await self.connections.delete(name)
            self._say(f"Deleted “{name}”.", True)

    def _connect(self) -> None:
        name = self.name.text().strip()
        if self.connections.profile(name) is None:
            self._say("Save the connection first.", False)
            return
        self.connectRequested.emit(name)
        self.accept()

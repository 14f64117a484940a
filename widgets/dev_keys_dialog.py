"""The devnet's dev wallet keys: shown, copied and exported, with what they are said plainly."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.dev_keys import WARNING
from app.services.wallet_service import WalletService

COLUMNS = ("Wallet", "Address", "Private key (ed25519 seed)")


class DevKeysDialog(QDialog):
    def __init__(self, wallets: WalletService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dev wallet keys")
        self.wallets = wallets
        self.keys = wallets.dev_keys()
        seed = wallets.dev_seed() or ""
        intro = QLabel(
            f"{WARNING}\n\nDerived from the dev seed “{seed}” (Node ▸ Devnet settings): wallet n's "
            'key is BLAKE2b-256 of "chaindeck-dev-wallet:<seed>:<n>", the same on every machine.'
            if self.keys
            else "This chain's dev wallets were not made from the current dev seed (the chain "
            "is older than the seed, or the seed changed since), so their keys are the node's "
            "alone. Node ▸ Reset devnet starts a chain whose keys can be shown."
        )
        intro.setWordWrap(True)
        intro.setObjectName("devKeysWarning")
        self.table = QTableWidget(len(self.keys), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for row, key in enumerate(self.keys):
            for column, name in enumerate(("label", "address", "privateKey")):
                self.table.setItem(row, column, QTableWidgetItem(key[name]))
        if self.keys:
            self.table.selectRow(0)
        self.copy_button = QPushButton("Copy key")
        self.copy_button.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_button.clicked.connect(self.copy_key)
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self._choose_export)
        self.message = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        for button in (self.copy_button, self.export_button):
            button.setEnabled(bool(self.keys))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(900, 420)

    def copy_key(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            QGuiApplication.clipboard().setText(self.keys[rows[0].row()]["privateKey"])
            self.message.setText(f"Copied the key of {self.keys[rows[0].row()]['label']}.")

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export dev keys", "chaindeck-dev-keys.json", "JSON (*.json)"
        )
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        from pathlib import Path

        try:
            count = self.wallets.export_dev_keys(Path(path))
        except OSError as exc:
            self.message.setText(f"Could not export: {exc.strerror or exc}")
            return
        self.message.setText(f"Exported {count} keys to {path} (readable by you only).")

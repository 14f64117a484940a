"""Settings of the embedded devnet. Applying restarts the node and keeps its chain."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.jobs.embedded_node import DevnetSettings


class NodeSettingsDialog(QDialog):
    applied = Signal(object)  # DevnetSettings, after the user confirmed

    def __init__(self, settings: DevnetSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Devnet settings")
        self.block_time = QDoubleSpinBox()
        self.block_time.setRange(0, 3600)
        self.block_time.setDecimals(2)
        self.block_time.setSuffix(" s")
        self.block_time.setSpecialValueText("0 (seal when transactions wait)")
        self.block_time.setValue(settings.block_time)
        self.accounts = QSpinBox()
        self.accounts.setRange(0, 1000)
        self.accounts.setValue(settings.accounts)
        self.dev_seed = QLineEdit(settings.dev_seed)
        self.dev_seed.setMaxLength(200)
        self.dev_seed.setPlaceholderText("empty: random keys")
        self.dev_seed.setToolTip(
            "The dev wallets' keys come from this text, the same on every machine (Wallets ▸ "
            "Dev keys…); empty for keys nobody else knows. A new chain only."
        )
        self.balance = QSpinBox()
        self.balance.setRange(1, 10**9)
        self.balance.setGroupSeparatorShown(True)
        self.balance.setSuffix(" coins")
        self.balance.setValue(settings.balance)
        self.difficulty = QSpinBox()
        self.difficulty.setRange(0, 24)
        self.difficulty.setSuffix(" bits")
        self.difficulty.setValue(settings.difficulty)
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(settings.port)
        self.port.setToolTip("127.0.0.1:PORT; the next free one when it is taken")
        form = QFormLayout()
        form.addRow("Block time", self.block_time)
        form.addRow("Dev accounts", self.accounts)
        form.addRow("Dev key seed", self.dev_seed)
        form.addRow("Balance of each", self.balance)
        form.addRow("Proof-of-work difficulty", self.difficulty)
        form.addRow("Port", self.port)
        note = QLabel(
            "Applying restarts the devnet node; the chain is kept. Accounts, key seed and balance "
            "shape a new chain only: use Node ▸ Reset devnet to start one."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self._apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def settings(self) -> DevnetSettings:
        return DevnetSettings(
            block_time=round(self.block_time.value(), 2),
            accounts=self.accounts.value(),
            dev_seed=self.dev_seed.text().strip(),
            balance=self.balance.value(),
            difficulty=self.difficulty.value(),
            port=self.port.value(),
        )

    def _apply(self) -> None:
        self.applied.emit(self.settings())
        self.accept()

"""Wallets: the node's managed wallets, live; create, send, copy, open; transfers sent here."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.clients.errors import NodeError
from app.services.wallet_service import WalletService
from widgets.dev_keys_dialog import DevKeysDialog
from widgets.format import coins, short_hash
from widgets.send_dialog import SendDialog
from widgets.wallet_table import WalletTableModel

SENT_COLUMNS = ("Hash", "From", "To", "Amount", "Status")


class WalletsPanel(QWidget):
    addressOpened = Signal(str)
    transactionOpened = Signal(str)

    def __init__(self, wallets: WalletService) -> None:
        super().__init__()
        self.wallets = wallets
        self.model = WalletTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.open_address())

        self.new_button = QPushButton("New wallet…")
        self.send_button = QPushButton("Send…")
        self.send_button.setToolTip("Send coins (Ctrl+N)")
        self.copy_button = QPushButton("Copy address")
        self.open_button = QPushButton("Open address")
        self.keys_button = QPushButton("Dev keys…")
        self.keys_button.setToolTip("The devnet's dev wallet keys: show, copy, export")
        self.keys_button.clicked.connect(self.open_dev_keys)
        self.new_button.clicked.connect(self._create)
        self.send_button.clicked.connect(self.open_send)
        self.copy_button.clicked.connect(self.copy_address)
        self.open_button.clicked.connect(self.open_address)
        self.message = QLabel()
        self.message.setObjectName("errorText")
        self.message.hide()

        self.sent = QTableWidget(0, len(SENT_COLUMNS))
        self.sent.setHorizontalHeaderLabels(SENT_COLUMNS)
        self.sent.verticalHeader().setVisible(False)
        self.sent.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sent.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        sent_header = self.sent.horizontalHeader()
        sent_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        sent_header.setStretchLastSection(True)
        self.sent.cellDoubleClicked.connect(self._open_sent)
        self._sent_rows: dict[str, int] = {}

        buttons = QHBoxLayout()
        for button in (
            self.new_button,
            self.send_button,
            self.copy_button,
            self.open_button,
            self.keys_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 3)
        layout.addWidget(QLabel("Sent from here"))
        layout.addWidget(self.sent, 1)

        wallets.walletsChanged.connect(self._wallets_changed)
        wallets.walletsFailed.connect(self.show_message)
        wallets.transactionSent.connect(self._add_sent)
        wallets.transactionConfirmed.connect(self._confirmed)
        self.dialog: SendDialog | None = None

    def _wallets_changed(self, wallets: list[dict[str, Any]]) -> None:
        if wallets:
            self.show_message("")  # the node answers again: an old error would mislead
        self.model.set_wallets(wallets)
        can_create = "create_wallet" in self.wallets.features
        self.new_button.setVisible(can_create)
        self.keys_button.setVisible(self.wallets.dev_seed() is not None)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.wallets[rows[0].row()] if rows else None

    def copy_address(self) -> None:
        wallet = self.selected()
        if wallet:
            QGuiApplication.clipboard().setText(wallet["address"])

    def open_address(self) -> None:
        wallet = self.selected()
        if wallet:
            self.addressOpened.emit(wallet["address"])

    def open_send(self) -> SendDialog:
        wallet = self.selected()
        self.dialog = SendDialog(self.wallets, self, wallet["address"] if wallet else None)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.open()  # never exec(): the event loop keeps running (qasync #59)
        return self.dialog

    def open_dev_keys(self) -> DevKeysDialog:
        dialog = DevKeysDialog(self.wallets, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _create(self) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle("New wallet")
        dialog.setLabelText("Label (optional):")
        dialog.textValueSelected.connect(self._create_labelled)
        dialog.open()

    @asyncSlot(str)
    async def _create_labelled(self, label: str) -> None:
        self.new_button.setEnabled(False)
        try:
            await self.wallets.create(label.strip() or None)
            self.show_message("")
        except NodeError as exc:
            self.show_message(f"Could not create the wallet: {exc}")
        finally:
            self.new_button.setEnabled(True)

    def _add_sent(self, tx: dict[str, Any]) -> None:
        row = 0
        self.sent.insertRow(row)
        self._sent_rows = {h: r + 1 for h, r in self._sent_rows.items()}
        self._sent_rows[tx["hash"]] = row
        cells = (
            short_hash(tx["hash"], 12),
            tx.get("fromLabel") or short_hash(tx["from"]),
            tx.get("toLabel") or short_hash(tx["to"]),
            coins(tx["amount"]),
            tx.get("status", "pending"),
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, tx["hash"])
            if column == 3:  # figures line up on their right
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.sent.setItem(row, column, item)

    def _confirmed(self, tx: dict[str, Any]) -> None:
        row = self._sent_rows.get(tx["hash"])
        if row is not None:
            self.sent.setItem(row, 4, QTableWidgetItem(f"confirmed in {tx.get('blockHeight')}"))

    def sent_status(self, tx_hash: str) -> str:
        row = self._sent_rows[tx_hash]
        item = self.sent.item(row, 4)
        return item.text() if item else ""

    def _open_sent(self, row: int, _column: int) -> None:
        item = self.sent.item(row, 0)
        if item is not None:
            self.transactionOpened.emit(item.data(Qt.ItemDataRole.UserRole))

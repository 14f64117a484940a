"""Block, transaction and address pages of the explorer. They show what they are given and ask
for navigation with `navigate(kind, ref)`; the explorer panel does the fetching."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.format import age, coins, short_hash, size

TX_COLUMNS = ("Hash", "From", "To", "Amount", "Fee", "Status")


def _link(kind: str, ref: str, text: str | None = None) -> str:
    return f'<a href="{kind}:{ref}">{text or ref}</a>'


class DetailView(QWidget):
    navigate = Signal(str, str)  # kind (block | transaction | address), reference

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title = QLabel(title)
        self.title.setObjectName("detailTitle")
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.transactions = QTableWidget(0, len(TX_COLUMNS))
        self.transactions.setHorizontalHeaderLabels(TX_COLUMNS)
        self.transactions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.transactions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.transactions.verticalHeader().setVisible(False)
        self.transactions.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.transactions.cellActivated.connect(self._open_row)
        self.transactions.cellDoubleClicked.connect(self._open_row)
        self.pager = QHBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addWidget(self.transactions, 1)
        layout.addLayout(self.pager)

    def _value(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        label.setTextFormat(Qt.TextFormat.RichText if "<a " in text else Qt.TextFormat.PlainText)
        label.linkActivated.connect(self._follow)
        return label

    def _follow(self, href: str) -> None:
        kind, _, ref = href.partition(":")
        self.navigate.emit(kind, ref)

    def set_fields(self, rows: list[tuple[str, str]]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        for name, value in rows:
            self.form.addRow(name, self._value(value))

    def field_text(self, name: str) -> str:
        for row in range(self.form.rowCount()):
            label = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
            if isinstance(label, QLabel) and label.text() == name:
                value = self.form.itemAt(row, QFormLayout.ItemRole.FieldRole).widget()
                assert isinstance(value, QLabel)
                return value.text()
        raise KeyError(name)

    def set_transactions(self, txs: list[dict[str, Any]]) -> None:
        self.transactions.setRowCount(len(txs))
        for row, tx in enumerate(txs):
            cells = (
                short_hash(tx["hash"], 12),
                tx.get("fromLabel") or short_hash(tx["from"]),
                tx.get("toLabel") or short_hash(tx["to"]),
                coins(tx["amount"]),
                coins(tx.get("fee")),
                tx.get("status", "confirmed"),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, tx["hash"])
                if column in (3, 4):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.transactions.setItem(row, column, item)

    def _open_row(self, row: int, _column: int) -> None:
        item = self.transactions.item(row, 0)
        if item is not None:
            self.navigate.emit("transaction", item.data(Qt.ItemDataRole.UserRole))


class BlockView(DetailView):
    def __init__(self) -> None:
        super().__init__("Block")

    def show_block(self, block: dict[str, Any]) -> None:
        self.title.setText(f"Block {block['height']:,}")
        previous = block.get("previousHash") or ""
        self.set_fields(
            [
                ("Hash", block["hash"]),
                ("Previous", _link("block", previous) if block["height"] > 0 else previous),
                ("Time", f"{age(block['timestamp'])} ({block['timestamp']} ms)"),
                ("Producer", _link("address", block["producer"])),
                ("Transactions", str(block.get("txCount", 0))),
                ("Size", size(int(block.get("size", 0)))),
                ("Merkle root", block.get("merkleRoot", "")),
                ("Difficulty", f"{block.get('difficulty', 0)} bits, nonce {block.get('nonce', 0)}"),
            ]
        )
        self.set_transactions(block.get("transactions", []))


class TransactionView(DetailView):
    def __init__(self) -> None:
        super().__init__("Transaction")
        self.transactions.hide()

    def show_transaction(self, tx: dict[str, Any]) -> None:
        self.title.setText("Transaction")
        status = tx.get("status", "")
        if status == "confirmed":
            status = f"confirmed ({tx.get('confirmations', 0)} confirmations)"
        sender = tx.get("fromLabel")
        receiver = tx.get("toLabel")
        rows = [
            ("Hash", tx["hash"]),
            ("Status", status),
            ("From", _link("address", tx["from"]) + (f" ({sender})" if sender else "")),
            ("To", _link("address", tx["to"]) + (f" ({receiver})" if receiver else "")),
            ("Amount", coins(tx["amount"])),
            ("Fee", coins(tx.get("fee"))),
            ("Nonce", str(tx.get("nonce", ""))),
            ("Memo", tx.get("memo") or ""),
        ]
        if tx.get("blockHeight") is not None:
            rows.insert(
                2, ("Block", _link("block", str(tx["blockHeight"]), f"{tx['blockHeight']:,}"))
            )
        self.set_fields(rows)


class AddressView(DetailView):
    pageWanted = Signal(str, int)  # address, offset

    def __init__(self) -> None:
        super().__init__("Address")
        self.address = ""
        self.offset = 0
        self.limit = 50
        self.newer = QPushButton("◀ Newer")
        self.older = QPushButton("Older ▶")
        self.newer.clicked.connect(lambda: self.pageWanted.emit(self.address, self._step(-1)))
        self.older.clicked.connect(lambda: self.pageWanted.emit(self.address, self._step(1)))
        self.pager.addStretch(1)
        self.pager.addWidget(self.newer)
        self.pager.addWidget(self.older)

    def _step(self, direction: int) -> int:
        return max(0, self.offset + direction * self.limit)

    def show_address(self, data: dict[str, Any]) -> None:
        self.address = data["address"]
        self.offset = int(data.get("offset", 0))
        self.limit = int(data.get("limit", 50))
        label = data.get("label")
        title = f"Address {label}" if label else "Address"
        if data.get("history") is False:
            title += " — this node keeps no transaction index by address"
        self.title.setText(title)
        self.set_fields(
            [
                ("Address", data["address"]),
                ("Balance", coins(data["balance"])),
                (
                    "Nonce",
                    f"{data['nonce']} (next pending {data.get('pendingNonce', data['nonce'])})",
                ),
            ]
        )
        txs = data.get("transactions", [])
        self.set_transactions(txs)
        self.newer.setEnabled(self.offset > 0)
        self.older.setEnabled(len(txs) >= self.limit)

"""Send a transfer from a managed wallet: checked as you type, the node's own answer shown."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.amounts import parse_amount
from app.clients.errors import NodeError
from app.services.wallet_service import WalletService
from widgets.format import coins

ADDRESS_RE = re.compile(r"^0x[0-9a-f]{40}$")
DEFAULT_FEE = "0.0001"
MIN_FEE = Decimal("0.0001")  # node-api.md: "fee ≥ the node's minimum, default 0.0001"
MEMO_BYTES = 256


def _plain(value: Decimal) -> str:
    """A Decimal as a person writes it: no exponent, no trailing zeros."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class SendDialog(QDialog):
    sent = Signal(object)

    def __init__(
        self, wallets: WalletService, parent: QWidget | None = None, sender: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Send coins")
        self.setMinimumWidth(520)
        self.wallets = wallets
        self.sender = QComboBox()
        for wallet in wallets.wallets:
            self.sender.addItem(
                f"{wallet.get('label') or wallet['address']}  ({coins(wallet['balance'])})",
                wallet["address"],
            )
        if sender:
            index = self.sender.findData(sender)
            self.sender.setCurrentIndex(max(0, index))
        self.to = QComboBox()
        self.to.setEditable(True)
        self.to.addItems([w.get("label") or w["address"] for w in wallets.wallets])
        self.to.setCurrentText("")
        self.to.lineEdit().setPlaceholderText("address (0x…) or wallet label")
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("coins, e.g. 12.5")
        self.max_button = QPushButton("Max")
        self.max_button.setToolTip("All of the balance the fee leaves")
        self.max_button.clicked.connect(self.fill_max)
        amount_row = QHBoxLayout()
        amount_row.addWidget(self.amount, 1)
        amount_row.addWidget(self.max_button)
        self.fee = QLineEdit(DEFAULT_FEE)
        self.memo = QLineEdit()
        self.memo.setPlaceholderText("optional, up to 256 bytes")
        self.errors: dict[str, QLabel] = {}
        # The locale's decimal mark is read as well as "."; an Ethereum node counts in ether,
        # which has 18 decimals where a ChainDeck coin has 8.
        self.decimal_point = QLocale().decimalPoint() or "."
        self.decimals = 8 if "fee" in wallets.features else 18
        form = QFormLayout()
        for name, title, field in (
            ("from", "From", self.sender),
            ("to", "To", self.to),
            ("amount", "Amount", amount_row),
            ("fee", "Fee", self.fee),
            ("description", "Memo", self.memo),
        ):
            error = QLabel()
            error.setObjectName("errorText")
            error.setWordWrap(True)
            error.hide()
            self.errors[name] = error
            form.addRow(title, field)
            form.addRow("", error)
        if "fee" not in wallets.features:  # an Ethereum node prices the gas itself
            form.setRowVisible(self.fee, False)
            self.fee.setText("")
            self.max_button.hide()  # what is left after the gas is the node's to know
        # What Send will move, in words, before it moves it.
        self.total = QLabel()
        self.total.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("errorText")
        self.message.setWordWrap(True)
        self.message.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.send_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.send_button.setText("Send")
        self.buttons.accepted.connect(self._send)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.total)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        for field in (self.amount, self.fee, self.memo):
            field.textChanged.connect(self.validate)
        self.to.editTextChanged.connect(self.validate)
        self.sender.currentIndexChanged.connect(self.validate)
        self._touched: set[str] = set()
        self.amount.textEdited.connect(lambda _t: self._touched.add("amount"))
        self.to.lineEdit().textEdited.connect(lambda _t: self._touched.add("to"))
        self.validate()

    # -- checking as the user types ----------------------------------------------------------
    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if self.sender.currentData() is None:
            found["from"] = "the node manages no wallet to send from"
        to = self.to.currentText().strip()
        labels = {w.get("label") for w in self.wallets.wallets}
        if not to:
            found["to"] = "enter an address or a wallet label"
        elif to.startswith("0x") and not ADDRESS_RE.match(to.lower()):
            found["to"] = "an address is 0x and 40 hex digits"
        elif not to.startswith("0x") and to not in labels:
            found["to"] = f"no wallet labelled “{to}” on this node"
        amount = fee = None
        try:
            amount = self._amount(self.amount.text(), "amount")
        except ValueError as exc:
            found["amount"] = str(exc)
        try:
            fee = self._amount(self.fee.text() or "0", "fee", allow_zero=True)
        except ValueError as exc:
            found["fee"] = str(exc)
        if fee is not None and "fee" in self.wallets.features and fee < MIN_FEE:
            found["fee"] = f"at least the node's minimum fee, {MIN_FEE}"
            fee = None
        if len(self.memo.text().encode()) > MEMO_BYTES:
            found["description"] = f"the memo is over {MEMO_BYTES} bytes"
        wallet = next(
            (w for w in self.wallets.wallets if w["address"] == self.sender.currentData()), None
        )
        if (
            wallet
            and amount is not None
            and fee is not None
            and Decimal(str(wallet["balance"])) < amount + fee
        ):
            found["amount"] = f"more than the balance, {coins(wallet['balance'])} with the fee"
        return found

    def fill_max(self) -> None:
        """The whole balance of the chosen wallet, less the fee."""
        wallet = next(
            (w for w in self.wallets.wallets if w["address"] == self.sender.currentData()), None
        )
        if wallet is None:
            return
        try:
            fee = self._amount(self.fee.text() or "0", "fee", allow_zero=True)
        except ValueError:
            fee = MIN_FEE
        most = Decimal(str(wallet["balance"])) - fee
        self.amount.setText(_plain(max(most, Decimal(0))))
        self._touched.add("amount")

    def _amount(self, text: str, what: str, *, allow_zero: bool = False) -> Decimal:
        return parse_amount(
            text,
            what,
            decimals=self.decimals,
            decimal_point=self.decimal_point,
            allow_zero=allow_zero,
        )

    def planned(self) -> tuple[Decimal, Decimal | None] | None:
        """(amount, fee) Send would move now, exactly as read; None while the input is not
        valid. The fee is None where the node prices it (Ethereum)."""
        if self.problems():
            return None
        fee_text = self.fee.text().strip()
        amount = self._amount(self.amount.text(), "amount")
        return amount, self._amount(fee_text, "fee", allow_zero=True) if fee_text else None

    def _show_total(self) -> None:
        plan = self.planned()
        if plan is None:
            self.total.setText("")
            self.send_button.setText("Send")
            return
        amount, fee = plan
        to = self.to.currentText().strip()
        unit = "coins" if self.decimals == 8 else "ether"
        if fee is None:
            text = f"Sends <b>{_plain(amount)} {unit}</b> to {to}, plus the gas the node charges."
        else:
            text = (
                f"Sends <b>{_plain(amount)} {unit}</b> to {to} with a fee of {_plain(fee)}: "
                f"<b>{_plain(amount + fee)} {unit}</b> leave the wallet."
            )
        self.total.setText(text)
        self.send_button.setText(f"Send {_plain(amount)} {unit}")

    def validate(self) -> bool:
        found = self.problems()
        for name, label in self.errors.items():
            shown = (
                found.get(name) if name in self._touched or name not in ("to", "amount") else None
            )
            label.setText(shown or "")
            label.setVisible(bool(shown))
        self.send_button.setEnabled(not found)
        self._show_total()
        return not found

    # -- sending -----------------------------------------------------------------------------
    @asyncSlot()
    async def _send(self) -> None:
        self._touched.update(("to", "amount"))
        if not self.validate():
            return
        plan = self.planned()
        assert plan is not None  # validate() passed
        self.send_button.setEnabled(False)
        self.message.hide()
        try:
            tx = await self.wallets.send(
                self.sender.currentData(),
                self.to.currentText().strip(),
                plan[0],
                plan[1],
                self.memo.text(),
            )
        except NodeError as exc:
            self.show_node_error(exc)
            self.send_button.setEnabled(True)
            return
        self.sent.emit(tx)
        self.accept()

    def show_node_error(self, exc: NodeError) -> None:
        shown = False
        for error in exc.field_errors:
            label = self.errors.get(str(error.get("field")))
            if label is not None:
                label.setText(str(error.get("message")))
                label.show()
                shown = True
        self.message.setText(exc.message if not shown else f"The node refused it: {exc.message}")
        self.message.show()

    def fill(self, **values: Any) -> None:
        """For tests and 'send again': set fields by name."""
        if "to" in values:
            self.to.setCurrentText(values["to"])
            self._touched.add("to")
        if "amount" in values:
            self.amount.setText(values["amount"])
            self._touched.add("amount")
        if "fee" in values:
            self.fee.setText(values["fee"])
        if "memo" in values:
            self.memo.setText(values["memo"])
        self.validate()

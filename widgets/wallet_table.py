"""WalletTableModel: the node's managed wallets with live balances and nonces."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from widgets.format import coins
from widgets.table_model import Index, RowTableModel

COLUMNS = ("Label", "Address", "Balance", "Nonce")


class WalletTableModel(RowTableModel):
    columns = COLUMNS

    @property
    def wallets(self) -> list[dict[str, Any]]:
        return self.rows

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        wallet = self.wallets[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                wallet.get("label") or "",
                wallet["address"],
                coins(wallet["balance"]),
                str(wallet["nonce"]),
            )[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return wallet
        return None

    def set_wallets(self, wallets: list[dict[str, Any]]) -> None:
        """Update in place when the same wallets changed figures (the selection stays put)."""
        same = [w["address"] for w in wallets] == [w["address"] for w in self.wallets]
        if same:
            self.rows = wallets
            if wallets:
                self.dataChanged.emit(self.index(0, 2), self.index(len(wallets) - 1, 3))
            return
        self.beginResetModel()
        self.rows = wallets
        self.endResetModel()

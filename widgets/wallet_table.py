"""WalletTableModel: the node's managed wallets with live balances and nonces."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from widgets.format import coins

COLUMNS = ("Label", "Address", "Balance", "Nonce")
Index = QModelIndex | QPersistentModelIndex


class WalletTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.wallets: list[dict[str, Any]] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.wallets)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

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
            self.wallets = wallets
            if wallets:
                self.dataChanged.emit(self.index(0, 2), self.index(len(wallets) - 1, 3))
            return
        self.beginResetModel()
        self.wallets = wallets
        self.endResetModel()

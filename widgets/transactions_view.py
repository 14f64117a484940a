"""Every transaction on the node, newest first, pending ones included: filtered as you type by
hash, address, label or memo and by status, paged on demand, and kept live while shown."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.clients.errors import NodeError
from app.services.explorer_service import ExplorerService
from app.services.node_service import NodeService
from widgets.format import age, coins, short_hash, when
from widgets.table_model import Index, RowTableModel

PAGE = 200
REFRESH_MS = 500  # a burst of blocks costs one read of the newest page
STATUSES = ("All", "Pending", "Confirmed")
GENESIS_SENDER = "0x" + "00" * 20  # the genesis block's funding comes from no one


class TransactionTableModel(RowTableModel):
    columns = ("Age", "Hash", "Status", "From", "To", "Amount", "Fee", "Block")

    def __init__(self) -> None:
        super().__init__()
        self._now: float | None = None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        tx, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(tx, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and tx.get("timestamp"):
            return when(tx["timestamp"])
        if role == Qt.ItemDataRole.ToolTipRole and column in (1, 3, 4):
            return (tx["hash"], tx.get("from"), tx.get("to"))[column - 1 if column > 1 else 0]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (5, 6, 7):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return tx
        return None

    def _cell(self, tx: dict[str, Any], column: int) -> str:
        if column == 0:
            return age(tx["timestamp"], self._now) if tx.get("timestamp") else ""
        if column == 1:
            return short_hash(tx["hash"], 14)
        if column == 2:
            return str(tx.get("status", ""))
        if column == 3:
            if tx.get("from") == GENESIS_SENDER:
                return "genesis"
            return tx.get("fromLabel") or short_hash(tx.get("from"))
        if column == 4:
            return tx.get("toLabel") or short_hash(tx.get("to"))
        if column == 5:
            return coins(tx.get("amount"))
        if column == 6:
            return coins(tx.get("fee"))
        height = tx.get("blockHeight")
        return f"{height:,}" if height is not None else "—"

    def replace(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def refresh_ages(self, now: float) -> None:
        self._now = now
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0))


class TransactionFilter(QSortFilterProxyModel):
    """Rows whose hash, addresses, labels or memo contain the text (any case), in a status."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.status = "All"

    def set_filter(self, text: str, status: str) -> None:
        self.beginFilterChange()
        self.text, self.status = text.strip().lower(), status
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, TransactionTableModel)
        tx = model.rows[row]
        if self.status != "All" and tx.get("status") != self.status.lower():
            return False
        if not self.text:
            return True
        fields = ("hash", "from", "to", "fromLabel", "toLabel", "memo")
        return any(self.text in str(tx.get(name) or "").lower() for name in fields)


class TransactionsView(QWidget):
    transactionOpened = Signal(str)

    def __init__(self, node: NodeService, explorer: ExplorerService) -> None:
        super().__init__()
        self.node = node
        self.explorer = explorer
        self.model = TransactionTableModel()
        self.proxy = TransactionFilter()
        self.proxy.setSourceModel(self.model)
        self.loaded_pages = 1
        self.more_available = False

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by hash, address, label or memo")
        self.filter.setClearButtonEnabled(True)
        self.status = QComboBox()
        self.status.addItems(STATUSES)
        self.filter.textChanged.connect(self._filter_changed)
        self.status.currentTextChanged.connect(self._filter_changed)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.activated.connect(self._open_row)
        self.table.clicked.connect(self._open_row)
        self.more_button = QPushButton("Load older")
        self.more_button.clicked.connect(self.load_more)
        self.shown = QLabel()

        row = QHBoxLayout()
        row.addWidget(self.filter, 1)
        row.addWidget(self.status)
        bottom = QHBoxLayout()
        bottom.addWidget(self.shown, 1)
        bottom.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self._reload_soon)
        node.blockReceived.connect(lambda _block: self._refresh_soon())
        node.nodeChanged.connect(self._node_changed)
        self._loading = False
        self._stopped = False

    def _refresh_soon(self) -> None:
        if not self._stopped:  # no timer outlives the window's stop
            self._refresh.start()

    def stop(self) -> None:
        self._stopped = True
        self._refresh.stop()

    def _node_changed(self, _name: str) -> None:
        self.loaded_pages = 1
        self.model.replace([])
        self._show_count()
        self._refresh_soon()

    def _filter_changed(self, *_args: Any) -> None:
        self.proxy.set_filter(self.filter.text(), self.status.currentText())
        self._show_count()

    def _show_count(self) -> None:
        shown, loaded = self.proxy.rowCount(), self.model.rowCount()
        noun = "transaction" if loaded == 1 else "transactions"
        self.shown.setText(
            f"{loaded:,} {noun}" if shown == loaded else f"{shown:,} of {loaded:,} {noun} shown"
        )
        self.more_button.setEnabled(self.more_available and not self._loading)

    def _reload_soon(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if getattr(self, "_stale", True):
            self.reload()

    @asyncSlot()
    async def reload(self) -> None:
        await self.load(self.loaded_pages * PAGE)

    @asyncSlot()
    async def load_more(self) -> None:
        self.loaded_pages += 1
        await self.load(self.loaded_pages * PAGE)

    async def load(self, count: int) -> None:
        """The newest `count` transactions; the selection and the scroll position are kept."""
        if self._loading or self.node.client is None:
            return
        self._loading = True
        self._stale = False
        try:
            rows = await self.explorer.transactions(0, count)
        except NodeError as exc:
            self.shown.setText(f"Could not read the transactions: {exc.message}")
            return
        finally:
            self._loading = False
        selected = self.selected_hash()
        self.more_available = len(rows) >= count
        self.model.replace(rows)
        if selected is not None:
            self.select(selected)
        self._show_count()

    def refresh_ages(self, now: float) -> None:
        self.model.refresh_ages(now)

    def selected_hash(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return str(self.proxy.data(rows[0], Qt.ItemDataRole.UserRole)["hash"]) if rows else None

    def select(self, tx_hash: str) -> None:
        for row, tx in enumerate(self.model.rows):
            if tx["hash"] == tx_hash:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                if index.isValid():
                    self.table.selectRow(index.row())
                return

    def _open_row(self, index: QModelIndex) -> None:
        tx = self.proxy.data(index, Qt.ItemDataRole.UserRole)
        if tx:
            self.transactionOpened.emit(tx["hash"])

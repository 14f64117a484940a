"""The explorer: the live block list, one search box, and block / transaction / address pages."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.clients.errors import NodeError
from app.services.explorer_service import ExplorerService, SearchError
from app.services.node_service import NodeService
from widgets.block_table import BlockTableModel, fit_columns
from widgets.detail_views import AddressView, BlockView, TransactionView
from widgets.transactions_view import TransactionsView

PAGE = 100
ADDRESS_REFRESH_MS = 500  # a burst of blocks costs one read of the address shown
FLUSH_MS = 100  # at most 10 repaints a second however fast blocks come


class ExplorerPanel(QWidget):
    def __init__(self, node: NodeService, explorer: ExplorerService) -> None:
        super().__init__()
        self.node = node
        self.explorer = explorer
        self.model = BlockTableModel()
        self._pending: list[dict[str, Any]] = []
        self.repaints = 0
        self._reloading = False
        self._stopped = False

        self.search = QLineEdit()
        self.search.setPlaceholderText(
            "Search a height, block or transaction hash, address or wallet label  (Ctrl+K)"
        )
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self._search)
        self.message = QLabel()
        self.message.setObjectName("errorText")
        self.message.setWordWrap(True)
        self.message.hide()

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        fit_columns(self.table)
        self.table.activated.connect(self._open_row)
        self.table.clicked.connect(self._open_row)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)

        self.chip = QPushButton()
        self.chip.setObjectName("newBlocksChip")
        self.chip.hide()
        self.chip.clicked.connect(self.back_to_top)

        blocks = QWidget()
        blocks_layout = QVBoxLayout(blocks)
        blocks_layout.setContentsMargins(0, 0, 0, 0)
        blocks_layout.addWidget(self.chip, 0, Qt.AlignmentFlag.AlignHCenter)
        blocks_layout.addWidget(self.table)
        self.transactions = TransactionsView(node, explorer)
        self.transactions.transactionOpened.connect(lambda h: self._open("transaction", h))
        left = QTabWidget()
        left.setDocumentMode(True)
        left.addTab(blocks, "Blocks")
        left.addTab(self.transactions, "Transactions")
        self.lists = left

        self.block_view = BlockView()
        self.tx_view = TransactionView()
        self.address_view = AddressView()
        self.pages = QStackedWidget()
        hint = QLabel("Select a block, or search for anything on the chain.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(hint)
        for view in (self.block_view, self.tx_view, self.address_view):
            view.navigate.connect(self._open)
            self.pages.addWidget(view)
        self.address_view.pageWanted.connect(self._address_page)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        top = QHBoxLayout()
        top.addWidget(self.search)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

        self.model.moreWanted.connect(self._load_older)
        node.blockReceived.connect(self._pending.append)
        node.blockReceived.connect(lambda _block: self._soon(self._address_timer))
        self._address_timer = QTimer(self)  # an address page shown follows new blocks
        self._address_timer.setSingleShot(True)
        self._address_timer.setInterval(ADDRESS_REFRESH_MS)
        self._address_timer.timeout.connect(self._refresh_address)
        node.caughtUp.connect(self._caught_up)
        node.nodeChanged.connect(lambda _name: self.model.reset([]))
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._flush_timer.start()
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(1000)
        self._age_timer.timeout.connect(self._refresh_ages)
        self._age_timer.start()

    def _refresh_ages(self) -> None:
        self.model.refresh_ages()
        self.transactions.refresh_ages(time.time())

    def show_transactions(self) -> None:
        self.lists.setCurrentWidget(self.transactions)

    def _soon(self, timer: QTimer) -> None:
        if not self._stopped:  # no timer outlives the window's stop
            timer.start()

    def stop(self) -> None:
        self._stopped = True
        self._flush_timer.stop()
        self._age_timer.stop()
        self._address_timer.stop()
        self.transactions.stop()

    # -- the live list -----------------------------------------------------------------------
    @property
    def following(self) -> bool:
        return self.table.verticalScrollBar().value() == 0

    def flush(self) -> None:
        """Move blocks that arrived since the last flush into the list, unless the user has
        scrolled away from the top: then the list holds still and the chip counts them."""
        if not self._pending:
            return
        if not self.model.blocks:
            self._pending.clear()  # the first page is on its way
            return
        if self.following:
            self.model.add_new(self._pending)
            self._pending.clear()
            self.chip.hide()
        else:
            waiting = sum(1 for b in self._pending if int(b["height"]) > self.model.highest)
            self.chip.setText(f"↑ {waiting:,} new block{'s' if waiting != 1 else ''}")
            self.chip.setVisible(waiting > 0)
        self.repaints += 1

    def back_to_top(self) -> None:
        self.table.scrollToTop()
        self.flush()

    def _scrolled(self, value: int) -> None:
        if value == 0:
            self.flush()

    @asyncSlot(int)
    async def _caught_up(self, height: int) -> None:
        if self.model.blocks and self.model.highest >= height - 1:
            return  # already live; the back-filled blocks come through blockReceived
        await self.reload()

    async def reload(self) -> None:
        if self._reloading:
            return  # a first page is already on its way
        self._reloading = True
        try:
            blocks = await self.explorer.blocks(0, PAGE)
        except NodeError as exc:
            self.show_message(exc.message)
            return
        finally:
            self._reloading = False
        self._pending.clear()
        self.model.reset(blocks)
        self.show_message("")

    @asyncSlot(int)
    async def _load_older(self, lowest: int) -> None:
        offset = max(0, self.node.height - lowest + 1)
        try:
            blocks = await self.explorer.blocks(offset, PAGE)
        except NodeError as exc:
            self.model.loading = False
            self.show_message(exc.message)
            return
        self.model.add_older(blocks)

    # -- pages -------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    @asyncSlot()
    async def _search(self) -> None:
        text = self.search.text()
        self.search.setEnabled(False)
        try:
            found = await self.explorer.search(text)
        except (SearchError, NodeError) as exc:
            self.show_message(str(exc))
        else:
            self.show_message("")
            self.show_found(found.kind, found.data)
        finally:
            self.search.setEnabled(True)

    def show_found(self, kind: str, data: dict[str, Any]) -> None:
        # The search box names what is shown, however it was reached (a link, a row, a search).
        ref = {"block": "height", "transaction": "hash"}.get(kind, "address")
        shown = data.get("label") if kind == "address" and data.get("label") else data.get(ref)
        if shown is not None and not self.search.hasFocus():
            self.search.setText(str(shown))
        if kind == "block":
            self.block_view.show_block(data)
            self.pages.setCurrentWidget(self.block_view)
        elif kind == "transaction":
            self.tx_view.show_transaction(data)
            self.pages.setCurrentWidget(self.tx_view)
        else:
            self.address_view.show_address(data)
            self.pages.setCurrentWidget(self.address_view)

    def _open_row(self, index: QModelIndex) -> None:
        self._open("block", str(self.model.blocks[index.row()]["height"]))

    @asyncSlot(str, str)
    async def _open(self, kind: str, ref: str) -> None:
        await self.open(kind, ref)

    async def open(self, kind: str, ref: str) -> None:
        try:
            if kind == "block":
                data = await self.explorer.block(int(ref) if ref.isdigit() else ref)
            elif kind == "transaction":
                data = await self.explorer.transaction(ref)
            else:
                data = await self.explorer.address(ref)
        except NodeError as exc:
            self.show_message(exc.message)
            return
        self.show_message("")
        self.show_found(kind, data)

    @asyncSlot()
    async def _refresh_address(self) -> None:
        view = self.address_view
        if self.pages.currentWidget() is not view or not view.address or not self.isVisible():
            return
        try:
            data = await self.explorer.address(view.address, view.offset)
        except NodeError:
            return  # a passing failure: the page stays as it was, the next block tries again
        if self.pages.currentWidget() is view and data["address"] == view.address:
            view.show_address(data)

    @asyncSlot(str, int)
    async def _address_page(self, address: str, offset: int) -> None:
        try:
            data = await self.explorer.address(address, offset)
        except NodeError as exc:
            self.show_message(exc.message)
            return
        self.show_found("address", data)

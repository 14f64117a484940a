"""BlockTableModel: the live block list, newest first, capped, paged from the node on scroll."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTableView

from widgets.format import age, short_hash, size, when
from widgets.table_model import Index, RowTableModel

COLUMNS = ("Height", "Age", "Hash", "Txs", "Producer", "Size")
# The widest text each column shows, to size it once (fit_columns); "8" is a wide digit.
WIDEST_CELLS = (
    "88,888,888",
    "8,888 d ago",
    short_hash("0x" + "d" * 64, 14),
    "88888",
    short_hash("0x" + "d" * 40, 10),
    "8,888.8 KiB",
)
CELL_PADDING = 8  # px each side of a cell's text
ROW_CAP = 20_000  # rows kept in memory; older ones are paged in again when scrolled to


class BlockTableModel(RowTableModel):
    columns = COLUMNS
    moreWanted = Signal(int)  # the lowest height shown: fetch the page below it

    def __init__(self, row_cap: int = ROW_CAP) -> None:
        super().__init__()
        self.row_cap = row_cap
        self.loading = False
        self._now = time.time()

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """Newest first."""
        return self.rows

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        block = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{block['height']:,}"
            if column == 1:
                return age(block["timestamp"], self._now)
            if column == 2:
                return short_hash(block["hash"], 14)
            if column == 3:
                return str(block.get("txCount", 0))
            if column == 4:
                return short_hash(block.get("producer"), 10)
            if column == 5:
                return size(int(block.get("size", 0)))
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return when(block["timestamp"])
        if role == Qt.ItemDataRole.ToolTipRole and column in (2, 4):
            return block["hash"] if column == 2 else block.get("producer")
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 3, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return block
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return (
            not parent.isValid()
            and bool(self.rows)
            and self.lowest > 0
            and len(self.rows) < self.row_cap
            and not self.loading
        )

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self.loading = True
            self.moreWanted.emit(self.lowest)

    # -- feeding -----------------------------------------------------------------------------
    @property
    def highest(self) -> int:
        return int(self.rows[0]["height"]) if self.rows else -1

    @property
    def lowest(self) -> int:
        return int(self.rows[-1]["height"]) if self.rows else -1

    def reset(self, blocks: list[dict[str, Any]]) -> None:
        """Show this page (newest first) and nothing else."""
        self.beginResetModel()
        self.rows = sorted(blocks, key=lambda b: -int(b["height"]))[: self.row_cap]
        self.loading = False
        self.endResetModel()

    def add_new(self, blocks: list[dict[str, Any]]) -> None:
        """Blocks above the top, any order; duplicates and old heights are ignored."""
        top = self.highest
        unique = {int(b["height"]): b for b in blocks if int(b["height"]) > top}
        fresh = [unique[h] for h in sorted(unique, reverse=True)]
        if not fresh:
            return
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self.rows[0:0] = fresh
        self.endInsertRows()
        excess = len(self.rows) - self.row_cap
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), self.row_cap, len(self.rows) - 1)
            del self.rows[self.row_cap :]
            self.endRemoveRows()

    def add_older(self, blocks: list[dict[str, Any]]) -> None:
        """A page from below the bottom (any order); only heights under the lowest are kept."""
        self.loading = False
        low = self.lowest
        unique = {int(b["height"]): b for b in blocks if int(b["height"]) < low}
        older = [unique[h] for h in sorted(unique, reverse=True)]
        room = self.row_cap - len(self.rows)
        older = older[: max(0, room)]
        if not older:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(older) - 1)
        self.rows.extend(older)
        self.endInsertRows()

    def refresh_ages(self) -> None:
        self._now = time.time()
        if self.rows:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self.rows) - 1, 1))


def fit_columns(view: QTableView) -> None:
    """Size a block table's columns once, on the widest text each shows, in the view's font.

    Not ResizeToContents: that measures every row on every insert (20,000 rows at 10 inserts a
    second stalled the loop for 100+ ms). Not fixed pixel counts: they cut the hashes short
    where the font is larger."""
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    metrics = view.fontMetrics()
    for column, widest in enumerate(WIDEST_CELLS):
        text = max(widest, COLUMNS[column], key=metrics.horizontalAdvance)
        header.resizeSection(column, metrics.horizontalAdvance(text) + 2 * CELL_PADDING)
    header.setStretchLastSection(True)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a narrowed column keeps both ends

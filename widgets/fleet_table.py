"""FleetTableModel: one row per node of a cluster, live, coloured by state."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from app.fleet.member import MemberState
from widgets.format import ago, short_hash
from widgets.table_model import Index, RowTableModel

COLUMNS = (
    "Node",
    "State",  # in words as well as the row's colour
    "Kind / version",
    "Role",
    "Height",
    "Behind",
    "Latest hash",
    "Peers",
    "Latency",
    "Mempool",
    "Last block",
    "Block time",
    "Propagation",
    "Uptime",
    "CPU",
    "Memory",
)
STATE_COLOURS = {
    "up": QColor(46, 160, 67, 60),
    "lagging": QColor(210, 153, 34, 70),
    "problem": QColor(218, 54, 51, 80),
    "down": QColor(218, 54, 51, 110),
}
LAGGING_BLOCKS = 3
NUMERIC = {
    COLUMNS.index(name)
    for name in ("Height", "Behind", "Peers", "Latency", "Mempool", "Last block", "Block time",
                 "Propagation", "Uptime", "CPU", "Memory")
}  # fmt: skip
HASH = COLUMNS.index("Latest hash")
# Hovering a header says what its column holds.
HEADER_TIPS = {
    "State": "up, lagging (more than 3 blocks behind), problem, down, or stopped on purpose",
    "Behind": "blocks behind the cluster's best height",
    "Latest hash": "the node's head; hover a cell for the whole hash",
    "Latency": "the node's answer to /health, as this app sees it",
    "Block time": "average time between the node's recent blocks",
    "Propagation": "how long after the first node this node had each new block",
    "Uptime": "share of polls the node answered",
    "CPU": "a local node's process with its helpers; a remote node's, from its /metrics",
    "Memory": "a local node's process with its helpers; a remote node's, from its /metrics",
}


RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def row_state(s: MemberState) -> str:
    if s.state == "up" and s.behind > LAGGING_BLOCKS:
        return "lagging"
    return s.state


def _known(value: object, down: bool) -> str:
    """Blank when the node is down or its protocol does not say (an Ethereum node's mempool)."""
    return "" if down or value is None else str(value)


def _age(ms: int) -> str:
    if not ms:
        return ""
    return ago(time.monotonic() - ms / 1000)


class FleetTableModel(RowTableModel):
    columns = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.states: list[MemberState] = []
        # Formatted once an update: the view asks data() for every cell in a dozen roles, and
        # formatting the row each time made a 1 + 7 table cost ~40 ms of the event loop a second.
        self._cells: list[tuple[str, ...]] = []
        self._looks: list[tuple[QBrush | None, str]] = []

    def set_states(self, states: list[MemberState]) -> None:
        same_rows = [s.name for s in states] == [s.name for s in self.states] and states
        if not same_rows:
            self.beginResetModel()
        self.states = list(states)
        self._cells = [self.cells(s) for s in states]
        self._looks = [self._look(s) for s in states]
        if same_rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(states) - 1, len(COLUMNS) - 1))
            return
        self.rows = [{"name": s.name} for s in states]
        self.endResetModel()

    @staticmethod
    def _look(s: MemberState) -> tuple[QBrush | None, str]:
        colour = STATE_COLOURS.get(row_state(s))
        return (QBrush(colour) if colour else None), s.problem or f"{s.url} — {row_state(s)}"

    def cells(self, s: MemberState) -> tuple[str, ...]:
        down = s.state == "down"
        avg = s.avg_block_time
        state = row_state(s)
        if state == "lagging":
            state = f"lagging ({s.behind} behind)"
        elif state == "problem" and s.problem:
            state = f"problem: {s.problem}"
        return (
            s.name,
            state,
            f"{s.kind} · {s.version}" if s.version else s.kind,
            s.role,
            "" if s.height < 0 else str(s.height),
            "" if down or s.height < 0 else str(s.behind),
            short_hash(s.latest_hash, 8),
            _known(s.peers, down),
            "" if down else f"{s.latency_ms:.0f} ms",
            _known(s.mempool, down),
            _age(s.last_block_ms),
            "" if avg is None else f"{avg:.2f} s",
            "" if s.propagation_ms is None or down else f"{s.propagation_ms:.0f} ms",
            f"{s.uptime_pct:.1f} %",
            "" if down or s.cpu_pct is None else f"{s.cpu_pct:.0f} %",
            "" if down or s.mem_mb is None else f"{s.mem_mb:.0f} MiB",
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[row][index.column()]
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._looks[row][0]
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == HASH and self.states[row].latest_hash:
                return self.states[row].latest_hash
            return self._looks[row][1]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in NUMERIC:
            return RIGHT
        if role == Qt.ItemDataRole.UserRole:
            return self.states[row]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            return HEADER_TIPS.get(COLUMNS[section])
        return super().headerData(section, orientation, role)

"""What every kind of run shows above its results: the target, Run / Cancel (and a kind's own
buttons), a progress bar, a line of counts and the last refusal or error. Also the panel-wide
keyboard shortcuts a run panel installs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.theme import STATUS_COLOURS


class RunControls(QWidget):
    def __init__(self, what: str, buttons: Sequence[QPushButton] = ()) -> None:
        super().__init__()
        self.target = QComboBox()
        self.target.setMinimumWidth(200)
        self.target.setToolTip(f"The node to {what}")
        self.run_button = QPushButton("Run")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the run and everything it started (Shift+F5)")
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.counts = QLabel("No run yet")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {STATUS_COLOURS['failed']}")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        target_row = QHBoxLayout()
        target_row.addWidget(QLabel("Target"))
        target_row.addWidget(self.target, 1)
        layout.addLayout(target_row)
        row = QHBoxLayout()
        for button in (self.run_button, *buttons, self.cancel_button):
            row.addWidget(button)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.counts)
        layout.addWidget(self.message)

    def fill_targets(self, names: list[str]) -> None:
        current = self.target.currentText()
        self.target.clear()
        self.target.addItems(names)
        if current:
            self.target.setCurrentText(current)


def add_shortcuts(widget: QWidget, keys: Sequence[tuple[str, Callable[[], object]]]) -> None:
    """Shortcuts that work anywhere inside `widget` (its tab), and nowhere else."""
    for sequence, slot in keys:
        shortcut = QShortcut(QKeySequence(sequence), widget)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)

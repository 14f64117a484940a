"""A node's log file followed as it grows (like `tail -f`): the last lines at first, then each
new line; a log that was truncated or rotated is read again from its start."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

FIRST_BYTES = 256 * 1024  # how much of a long log is shown at first
POLL_MS = 500


class LogFollower(QObject):
    linesAdded = Signal(list)  # new complete lines, oldest first
    restarted = Signal()  # the file was replaced or truncated: what was shown is gone

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._offset = 0
        self._partial = b""
        self._identity: tuple[int, int] | None = None
        self._mid_line = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.poll()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def poll(self) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            return  # not written yet: the node has not started
        identity = (stat.st_dev, stat.st_ino)
        if self._identity is None:
            self._offset = max(0, stat.st_size - FIRST_BYTES)
            self._mid_line = self._offset > 0  # a long log is shown from its next whole line
        elif identity != self._identity or stat.st_size < self._offset:
            self._offset, self._partial, self._mid_line = 0, b"", False
            self.restarted.emit()
        self._identity = identity
        if stat.st_size == self._offset:
            return
        with open(self.path, "rb") as file:
            file.seek(self._offset)
            data = file.read()
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        if self._mid_line and lines:
            lines, self._mid_line = lines[1:], False
        if lines:
            self.linesAdded.emit([line.decode("utf-8", "replace") for line in lines])

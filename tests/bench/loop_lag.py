"""Event-loop lag as the window feels it: a 10 ms Qt timer, and how late each tick comes."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

HEARTBEAT_MS = 10


class LoopLag:
    def __init__(self) -> None:
        self.lags: list[float] = []  # ms late, one a tick
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.lags.append(max(0.0, (now - self._last) * 1000 - HEARTBEAT_MS))
        self._last = now

    def start(self) -> None:
        self.lags.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

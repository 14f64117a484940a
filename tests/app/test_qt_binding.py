"""Guard against a Qt binding that corrupts reference counts when signals are emitted.

PySide6 6.12.0 drops a reference to `True` on every `Signal.emit()`; on Python 3.11 the app
then aborts ("bool_dealloc") after some thousands of blocks. pyproject.toml excludes it."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    number = Signal(int)
    payload = Signal(object)
    pair = Signal(str, str)


def test_emitting_signals_keeps_reference_counts_whole(qapp: object) -> None:
    emitter = Emitter()
    emitter.number.connect(lambda _n: None)
    emitter.payload.connect(lambda _p: None)
    emitter.pair.connect(lambda _a, _b: None)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(200):  # well short of a crash, long enough to see a leak
        emitter.number.emit(1)
        emitter.payload.emit({"a": 1})
        emitter.pair.emit("a", "b")
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert after[0] >= before[0] - 5 and after[1] >= before[1] - 5

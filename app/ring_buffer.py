"""Fixed-size numpy ring buffers for live plots: appending never allocates, reading is one copy."""

from __future__ import annotations

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._x = np.zeros(capacity)
        self._y = np.zeros(capacity)
        self._next = 0
        self._size = 0
        self.version = 0  # bumps on every append, so a view can skip redrawing unchanged data

    def __len__(self) -> int:
        return self._size

    def append(self, x: float, y: float) -> None:
        self._x[self._next] = x
        self._y[self._next] = y
        self._next = (self._next + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)
        self.version += 1

    def clear(self) -> None:
        self._next = self._size = 0
        self.version += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y, oldest first."""
        if self._size < self.capacity:
            return self._x[: self._size].copy(), self._y[: self._size].copy()
        order = np.r_[self._next : self.capacity, 0 : self._next]
        return self._x[order], self._y[order]

    def last(self, n: int) -> np.ndarray:
        y = self.arrays()[1]
        return y[-n:]

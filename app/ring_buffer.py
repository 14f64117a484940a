"""Fixed-size numpy rings for live figures: appending never allocates, reading is one copy.
`Ring` keeps a time and any number of columns (the health history's 13 metrics); `RingBuffer`
is the one-column ring a dashboard plot reads."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Ring:
    def __init__(self, capacity: int, columns: int = 1, fill: float = 0.0) -> None:
        self.capacity = capacity
        self._t = np.zeros(capacity)
        self._v = np.full((capacity, columns), fill)
        self._fill = fill
        self._next = 0
        self._size = 0
        self.version = 0  # bumps on every change, so a view can skip redrawing unchanged data

    def __len__(self) -> int:
        return self._size

    def push(self, t: float, values: Sequence[float] | np.ndarray) -> None:
        self._t[self._next] = t
        self._v[self._next] = values
        self._next = (self._next + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)
        self.version += 1

    def clear(self) -> None:
        self._next = self._size = 0
        self._v.fill(self._fill)
        self.version += 1

    def ordered(self) -> tuple[np.ndarray, np.ndarray]:
        """Times and an (n, columns) array, oldest first: copies, safe to keep."""
        if self._size < self.capacity:
            return self._t[: self._size].copy(), self._v[: self._size].copy()
        order = np.r_[self._next : self.capacity, 0 : self._next]
        return self._t[order], self._v[order]

    def newest(self) -> np.ndarray | None:
        return self._v[(self._next - 1) % self.capacity] if self._size else None


class RingBuffer(Ring):
    def __init__(self, capacity: int) -> None:
        super().__init__(capacity, 1)

    def append(self, x: float, y: float) -> None:
        self.push(x, (y,))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y, oldest first."""
        t, v = self.ordered()
        return t, v[:, 0]

    def last(self, n: int) -> np.ndarray:
        return self.arrays()[1][-n:]

"""Coins on the wire, integer units in storage (1 coin = 100,000,000 units)."""

from __future__ import annotations

import math

COIN = 100_000_000
MAX_UNITS = 2**62  # far above any supply, and small enough to stay exact in SQLite INTEGER


class AmountError(ValueError):
    """A request amount that is not a positive number with at most 8 decimals."""


def coins_to_units(value: object, *, allow_zero: bool = False) -> int:
    # bool is an int subclass in Python, but `true` is not an amount.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AmountError("must be a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AmountError("must be a finite number")
        if abs(value) > MAX_UNITS / COIN:  # before scaling: 1e308 * COIN is infinity
            raise AmountError("is too large" if value > 0 else "must be greater than 0")
        units = round(value * COIN)
        # The float is the one nearest to units/1e8 exactly when it had at most 8 decimals.
        if units / COIN != value:
            raise AmountError("must have at most 8 decimal places")
    else:
        units = value * COIN
    if units < 0 or (units == 0 and not allow_zero):
        raise AmountError("must be greater than 0")
    if units > MAX_UNITS:
        raise AmountError("is too large")
    return units


def units_to_coins(units: int) -> float | int:
    # Whole amounts stay JSON integers (1000, not 1000.0), which reads better in every client.
    if units % COIN == 0:
        return units // COIN
    return units / COIN

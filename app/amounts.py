"""Amounts a person types, read exactly: the only decimal marks are "." and the locale's own, and
anything else that could change the value (thousands separators, exponents, underscores) is
refused with a message rather than dropped. Dropping commas once turned `1,5` into 15 coins."""

from __future__ import annotations

import re
from decimal import Decimal

_PLAIN = re.compile(r"([0-9]+)(?:\.([0-9]*))?|\.([0-9]+)")
_DIGITS = frozenset("0123456789")


def parse_amount(
    text: str,
    what: str = "amount",
    *,
    decimals: int = 8,
    decimal_point: str = ".",
    allow_zero: bool = False,
) -> Decimal:
    """`text` as an exact Decimal of at most `decimals` places; ValueError says why not.

    `decimal_point` is the user's locale's mark; "." is always accepted too, because it is
    what people paste from scripts and block explorers. A string with both marks, or with the
    locale's thousands separator, is refused: whether `1,500` means 1.5 or 1500 cannot be told.
    """
    value = text.strip()
    if not value:
        raise ValueError(f"enter the {what} in coins")
    marks = {".", decimal_point}
    used = set(value) - _DIGITS
    if len(used & marks) > 1:
        raise ValueError(f"the {what} has two different decimal marks; write it like 1.5")
    if decimal_point != "." and decimal_point in used:
        value = value.replace(decimal_point, ".")
    elif "," in used:
        raise ValueError(
            f"“,” is not a decimal mark here and thousands separators are not read: "
            f"write the {what} like 1.5 or 1500"
        )
    if value.startswith("-"):
        raise ValueError(f"the {what} must be greater than 0")
    match = _PLAIN.fullmatch(value)
    if match is None or value.count(".") > 1:
        raise ValueError(f"the {what} must be a number of coins, like 12.5")
    fraction = match.group(2) if match.group(1) is not None else match.group(3)
    if fraction and len(fraction) > decimals:
        raise ValueError(f"the {what} has at most {decimals} decimal places")
    amount = Decimal(value)
    if amount == 0 and not allow_zero:
        raise ValueError(f"the {what} must be greater than 0")
    return amount

"""Amounts a person types are read exactly or refused with a reason (app/amounts.py): `1,5` once
sent 15 coins."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.amounts import parse_amount


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("1.5", ".", "1.5"),
        (" 12 ", ".", "12"),
        (".5", ".", "0.5"),
        ("0.00000001", ".", "0.00000001"),
        ("1,5", ",", "1.5"),  # a comma locale's own mark
        ("1.5", ",", "1.5"),  # "." is read everywhere: what scripts and explorers print
        ("1000,25", ",", "1000.25"),
    ],
)
def test_amounts_are_read_exactly(text: str, mark: str, expected: str) -> None:
    assert parse_amount(text, decimal_point=mark) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "mark", "why"),
    [
        ("1,5", ".", "not a decimal mark here"),
        ("1,2,3", ".", "not a decimal mark here"),
        ("1,000", ".", "thousands separators are not read"),
        ("1.000,5", ",", "two different decimal marks"),
        ("1,2,3", ",", "must be a number"),
        ("1.2.3", ".", "must be a number"),
        ("1_000", ".", "must be a number"),
        ("1e3", ".", "must be a number"),
        ("Infinity", ".", "must be a number"),
        ("\uff11", ".", "must be a number"),  # a full-width digit one
        ("-3", ".", "greater than 0"),
        ("0", ".", "greater than 0"),
        ("", ".", "enter the amount"),
        ("1.123456789", ".", "at most 8 decimal places"),
    ],
)
def test_anything_that_could_change_the_value_is_refused(text: str, mark: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_amount(text, decimal_point=mark)


def test_ether_takes_18_decimals_and_a_fee_may_be_zero() -> None:
    assert parse_amount("0.000000000000000001", decimals=18) == Decimal("1e-18")
    assert parse_amount("0", "fee", allow_zero=True) == 0

"""Amounts on the wire and the stateless checks of a signed transaction."""

from __future__ import annotations

import math

import pytest

from backend.chain.crypto import Keypair
from backend.chain.transaction import TransactionFieldErrors, parse_signed
from backend.chain.units import COIN, AmountError, coins_to_units, units_to_coins
from tests.helpers.wallet import TestWallet

CHAIN = "test-chain"


@pytest.mark.parametrize(
    ("coins", "units"),
    [
        (1, COIN),
        (1.5, 150_000_000),
        (0.00000001, 1),
        (0.1, 10_000_000),
        (12345.6789, 1234567890000),
    ],
)
def test_coins_to_units(coins: float, units: int) -> None:
    assert coins_to_units(coins) == units


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "greater than 0"),
        (-1, "greater than 0"),
        (0.000000001, "8 decimal"),
        (1.123456789, "8 decimal"),
        (math.nan, "finite"),
        (math.inf, "finite"),
        ("1", "number"),
        (True, "number"),
        (None, "number"),
        ([1], "number"),
        (10**30, "too large"),
        (1e308, "too large"),
        (-1e308, "greater than 0"),
    ],
)
def test_bad_amounts_are_refused(value: object, message: str) -> None:
    with pytest.raises(AmountError, match=message):
        coins_to_units(value)


def test_zero_fee_is_an_amount_but_not_an_amount_to_send() -> None:
    assert coins_to_units(0, allow_zero=True) == 0


def test_units_to_coins_keeps_whole_amounts_integral() -> None:
    assert units_to_coins(1000 * COIN) == 1000
    assert isinstance(units_to_coins(1000 * COIN), int)
    assert units_to_coins(1) == 0.00000001


def good_tx() -> dict:
    return TestWallet(CHAIN).sign("0x" + "11" * 20, 2 * COIN, memo="hi")


def test_a_good_transaction_parses_and_verifies() -> None:
    tx = parse_signed(good_tx(), chain_id=CHAIN, min_fee=10_000)
    assert tx.amount == 2 * COIN and tx.memo == "hi"
    assert tx.signature_valid()


def errors_of(obj: object) -> dict[str, str]:
    with pytest.raises(TransactionFieldErrors) as info:
        parse_signed(obj, chain_id=CHAIN, min_fee=10_000)
    return {e["field"]: e["message"] for e in info.value.errors}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"chainId": "other"}, "chainId"),
        ({"chainId": 5}, "chainId"),
        ({"from": "0xABC"}, "from"),
        ({"to": "0x" + "G" * 40}, "to"),
        ({"to": "0x" + "AB" * 20}, "to"),
        ({"amount": 0}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": "1"}, "amount"),
        ({"amount": 1.000000001}, "amount"),
        ({"fee": 0}, "fee"),
        ({"fee": -0.1}, "fee"),
        ({"nonce": -1}, "nonce"),
        ({"nonce": 1.5}, "nonce"),
        ({"nonce": True}, "nonce"),
        ({"nonce": 2**60}, "nonce"),
        ({"memo": 5}, "memo"),
        ({"memo": "x" * 257}, "memo"),
        ({"memo": "é" * 129}, "memo"),
        ({"publicKey": "00"}, "publicKey"),
        ({"publicKey": "zz" * 32}, "publicKey"),
        ({"signature": "00" * 63}, "signature"),
        ({"publicKey": Keypair.generate().public_key.hex()}, "from"),
    ],
)
def test_each_bad_field_is_named(change: dict, field: str) -> None:
    assert field in errors_of(good_tx() | change)


@pytest.mark.parametrize(
    "missing", ["chainId", "from", "to", "amount", "fee", "nonce", "publicKey", "signature"]
)
def test_missing_fields_are_named(missing: str) -> None:
    tx = good_tx()
    del tx[missing]
    assert errors_of(tx)[missing] == "is required"


@pytest.mark.parametrize("body", [[], "tx", 5, None])
def test_a_transaction_must_be_an_object(body: object) -> None:
    assert "body" in errors_of(body)


def test_memo_may_be_absent_and_then_signs_as_empty() -> None:
    tx = TestWallet(CHAIN).sign("0x" + "11" * 20, COIN)
    del tx["memo"]
    assert parse_signed(tx, chain_id=CHAIN, min_fee=10_000).signature_valid()

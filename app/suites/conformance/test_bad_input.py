"""Bad input is a 4xx with the error shape, never a 5xx: malformed bodies, wrong methods,
unknown paths, oversized bodies, and odd values in every write body."""

from __future__ import annotations

import pytest

from app.suites.checks import assert_error
from app.suites.plugin import NodeApi

pytestmark = pytest.mark.native
WRITES = ["/api/v1/transactions/raw", "/api/v1/transactions/batch", "/api/v1/auth/login"]
ODD_VALUES = [None, True, -1, 1e308, "", "\u0000", "é" * 300, [], {}, [[[]]], 2**70]


@pytest.mark.parametrize("raw", [b"{bad json", b"", b"[1,", b'{"amount": NaN}', b"\xff\xfe"])
@pytest.mark.parametrize("path", WRITES)
def test_malformed_json_is_400(node: NodeApi, path: str, raw: bytes) -> None:
    response = node.http.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400)


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
@pytest.mark.parametrize("field", ["chainId", "from", "to", "amount", "fee", "nonce", "memo"])
def test_odd_values_in_a_signed_transaction_are_4xx(
    node: NodeApi, field: str, value: object
) -> None:
    body = {
        "chainId": "c",
        "from": "0x" + "11" * 20,
        "to": "0x" + "22" * 20,
        "amount": 1,
        "fee": 0.0001,
        "nonce": 0,
        "memo": "",
        "publicKey": "00" * 32,
        "signature": "00" * 64,
    }
    response = node.post("/api/v1/transactions/raw", body | {field: value})
    assert 400 <= response.status_code < 500, f"{field}={value!r}: {response.status_code}"
    assert_error(response, response.status_code)


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_odd_login_bodies_are_4xx(node: NodeApi, value: object) -> None:
    response = node.post("/api/v1/auth/login", {"username": value, "password": value})
    assert 400 <= response.status_code < 500, f"{value!r}: {response.status_code}"


def test_body_over_1_mib_is_413(node: NodeApi) -> None:
    big = b"[" + b"1," * 600_000 + b"1]"
    response = node.http.post(
        "/api/v1/transactions/batch", content=big, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413)


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/api/v1/blocks"), ("PUT", "/api/v1/transactions/raw"), ("POST", "/health")],
)
def test_wrong_method_is_405(node: NodeApi, method: str, path: str) -> None:
    assert_error(node.http.request(method, path), 405)


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v2/blocks", "/api/v1/blocks/1/x"])
def test_unknown_path_is_404(node: NodeApi, path: str) -> None:
    assert_error(node.get(path), 404)

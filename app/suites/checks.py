"""Assertions the bundled suites share."""

from __future__ import annotations

import httpx


def assert_error(response: httpx.Response, status: int, field: str | None = None) -> dict:
    """node-api.md's error shape with the expected status (and `errors` naming `field`)."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.text[:300]}"
    )
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], f"no error code: {body}"
    assert isinstance(body.get("message"), str) and body["message"], f"no message: {body}"
    if field is not None:
        fields = [e.get("field") for e in body.get("errors", [])]
        assert field in fields, f"errors should name {field!r}: {body}"
    return body


def settled(tx: dict) -> dict:
    """A transaction without its confirmations, which count up with the head: when other
    clients' transfers seal a block between two reads (several runs on one chain), the same
    transaction read twice differs in that count alone."""
    return {k: v for k, v in tx.items() if k != "confirmations"}

"""Reading request input: JSON bodies, references in paths, labels."""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from fastapi import Query, Request

from backend.api.errors import ApiError, validation_error
from backend.chain.crypto import is_address, is_hash

# Pagination of every list endpoint: limit <= 100 by the contract.
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**62)]

LABEL_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
MAX_HEIGHT = 2**62


async def read_json(request: Request) -> Any:
    return parse_json(await request.body())


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "this request needs a JSON body", "malformed_json")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"malformed JSON: {exc}", "malformed_json") from None


def read_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise validation_error([{"field": "body", "message": "must be a JSON object"}])
    return data


def block_ref(ref: str) -> tuple[int | None, str | None]:
    """A block reference in a path: a height or a block hash."""
    if ref.isascii() and ref.isdigit() and len(ref) <= 18:
        return int(ref), None
    if is_hash(ref):
        return None, ref
    raise validation_error(
        [{"field": "ref", "message": "must be a block height or a 0x-prefixed 64-digit hash"}]
    )


def address_ref(ref: str, resolve: Any) -> str:
    """The address of a wallet reference: an address (400 if malformed) or a label (404 if not)."""
    if ref.startswith("0x") or ref.startswith("0X"):
        if not is_address(ref):
            raise validation_error(
                [{"field": "ref", "message": "must be an address: 0x and 40 lowercase hex digits"}]
            )
        return ref
    address = resolve(ref)
    if address is None:
        raise ApiError(404, f"no wallet labelled {ref!r} on this node")
    return address

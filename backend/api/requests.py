"""Reading request input: JSON bodies, references in paths, labels."""

from __future__ import annotations

import json
from typing import Annotated, Any

import orjson
from fastapi import Query, Request

from backend.api.errors import ApiError, validation_error
from backend.chain.crypto import is_address, is_hash
from backend.node.wallets import LABEL_RE

__all__ = ["LABEL_RE"]

# Pagination of every list endpoint: limit <= 100 by the contract.
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**62)]

MAX_HEIGHT = 2**62


async def read_json(request: Request) -> Any:
    """A small JSON body, refused when an object repeats a key."""
    body = await request.body()
    parsed = parse_json(body)
    _refuse_duplicate_keys(body)
    return parsed


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(key)
        obj[key] = value
    return obj


class _DuplicateKey(Exception):
    pass


def _refuse_duplicate_keys(body: bytes) -> None:
    """400 when a JSON object in `body` has a key twice. Parsers disagree on which one counts
    (orjson keeps the last, many keep the first): a proxy or a log would see one amount and the
    node sign another."""
    try:
        json.loads(body, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise validation_error(
            [{"field": str(exc)[:64], "message": "appears twice in one object"}]
        ) from None


def refuse_duplicate_fields(body: bytes, objects: list[Any], fields: tuple[str, ...]) -> None:
    """`_refuse_duplicate_keys` for the hot submissions, without parsing twice: when each
    field's quoted name occurs in the body exactly as often as the parsed objects hold it, no
    object can hold it twice. Anything else (a memo that spells a field's name, escapes that
    could spell one) is checked by the full parse."""
    if b"\\u" not in body:
        for name in fields:
            held = sum(1 for obj in objects if isinstance(obj, dict) and name in obj)
            if body.count(b'"%s"' % name.encode()) != held:
                break
        else:
            return
    _refuse_duplicate_keys(body)


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

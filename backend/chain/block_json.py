"""Full blocks as the API serves them (`/api/v1/blocks/range`), parsed back for a follower.

Nothing a producer sends is trusted: every value is type-checked here, and a transaction's hash
is recomputed from its fields, so a block that parses is internally what it claims to be. The
checks that need keys or the ledger come after (check_block, Ledger.plan_block).
"""

from __future__ import annotations

from typing import Any

from backend.chain.block import Block, InvalidBlock
from backend.chain.crypto import ZERO_ADDRESS, is_address, is_hash
from backend.chain.transaction import MAX_NONCE, Transaction
from backend.chain.units import AmountError, coins_to_units

_HEADER_INTS = ("height", "timestamp", "difficulty", "nonce", "txCount", "size")


def _int(obj: dict[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise InvalidBlock(f"{where}: {key} must be a whole number")
    return value


def _hex(obj: dict[str, Any], key: str, size: int | None, where: str) -> bytes:
    value = obj.get(key)
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else None
    except ValueError:
        raw = None
    if raw is None or (size is not None and len(raw) != size):
        raise InvalidBlock(f"{where}: {key} must be hex")
    return raw


def transaction_from_json(obj: object, where: str, *, genesis: bool) -> Transaction:
    if not isinstance(obj, dict):
        raise InvalidBlock(f"{where} is not an object")
    for key in ("chainId", "from", "to", "memo", "hash"):
        if not isinstance(obj.get(key), str):
            raise InvalidBlock(f"{where}: {key} must be a string")
    if not (is_address(obj["from"]) and is_address(obj["to"]) and is_hash(obj["hash"])):
        raise InvalidBlock(f"{where}: malformed address or hash")
    try:
        amount = coins_to_units(obj.get("amount"))
        fee = coins_to_units(obj.get("fee"), allow_zero=True)
    except AmountError as exc:
        raise InvalidBlock(f"{where}: amount or fee {exc}") from None
    nonce = _int(obj, "nonce", where)
    if nonce >= MAX_NONCE:
        raise InvalidBlock(f"{where}: nonce out of range")
    unsigned = genesis and obj["from"] == ZERO_ADDRESS
    tx = Transaction(
        chain_id=obj["chainId"],
        sender=obj["from"],
        recipient=obj["to"],
        amount=amount,
        fee=fee,
        nonce=nonce,
        memo=obj["memo"],
        public_key=_hex(obj, "publicKey", 0 if unsigned else 32, where),
        signature=_hex(obj, "signature", 0 if unsigned else 64, where),
    )
    received = obj.get("timestamp")
    if isinstance(received, int) and not isinstance(received, bool) and received >= 0:
        tx.received = received  # when the producer accepted it: the same history everywhere
    if tx.hash != obj["hash"]:
        raise InvalidBlock(f"{where}: hash {obj['hash']} does not match its fields")
    return tx


def block_from_json(obj: object) -> Block:
    if not isinstance(obj, dict):
        raise InvalidBlock("a block is not a JSON object")
    where = f"block {obj.get('height')!r}"
    ints = {key: _int(obj, key, where) for key in _HEADER_INTS}
    for key in ("hash", "previousHash", "merkleRoot"):
        if not is_hash(obj.get(key)):
            raise InvalidBlock(f"{where}: {key} must be a hash")
    if not is_address(obj.get("producer")):
        raise InvalidBlock(f"{where}: producer must be an address")
    raw_txs = obj.get("transactions")
    if not isinstance(raw_txs, list):
        raise InvalidBlock(f"{where} has no transaction list")
    genesis = ints["height"] == 0
    txs = [
        transaction_from_json(tx, f"{where}, transaction {i}", genesis=genesis)
        for i, tx in enumerate(raw_txs)
    ]
    return Block(
        height=ints["height"],
        previous_hash=obj["previousHash"],
        timestamp=ints["timestamp"],
        producer=obj["producer"],
        merkle_root=obj["merkleRoot"],
        difficulty=ints["difficulty"],
        nonce=ints["nonce"],
        tx_count=ints["txCount"],
        size=ints["size"],
        hash=obj["hash"],
        signature=_hex(obj, "signature", 64, where),
        transactions=txs,
    )

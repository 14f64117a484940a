"""Block 0 of a new chain: one unsigned transfer from the zero address to each dev wallet
(valid only at height 0), sealed by the producer."""

from __future__ import annotations

from backend.chain.block import Block, seal
from backend.chain.crypto import ZERO_ADDRESS, ZERO_HASH, Keypair
from backend.chain.transaction import Transaction


def genesis_block(
    chain_id: str,
    producer: Keypair,
    wallets: list[Keypair],
    balance_units: int,
    created: int,
    first_seq: int,
) -> tuple[Block, list[Transaction]]:
    """The block and its funding transfers (`seq` numbered from `first_seq`)."""
    txs = [
        Transaction(
            chain_id=chain_id,
            sender=ZERO_ADDRESS,
            recipient=key.address,
            amount=balance_units,
            fee=0,
            nonce=index,
            memo="genesis",
            public_key=b"",
            signature=b"",
            seq=first_seq + index,
            received=created,
        )
        for index, key in enumerate(wallets)
    ]
    block = seal(
        height=0,
        previous_hash=ZERO_HASH,
        timestamp=created,
        producer=producer,
        transactions=txs,
        difficulty=0,
    )
    return block, txs

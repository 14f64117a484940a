"""Chain core: keys, transactions, blocks, ledger state and mempool. Pure Python, no I/O."""

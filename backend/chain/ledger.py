"""Account state: balances and confirmed nonces, and how a block's transactions change them."""

from __future__ import annotations

from backend.chain.transaction import Transaction


class Ledger:
    def __init__(self) -> None:
        self.balances: dict[str, int] = {}
        self.nonces: dict[str, int] = {}

    def balance(self, address: str) -> int:
        return self.balances.get(address, 0)

    def nonce(self, address: str) -> int:
        return self.nonces.get(address, 0)

    def total(self) -> int:
        return sum(self.balances.values())

    def credit(self, address: str, units: int) -> None:
        self.balances[address] = self.balances.get(address, 0) + units

    def plan_block(
        self, candidates: list[Transaction], producer: str
    ) -> tuple[list[Transaction], list[Transaction], dict[str, tuple[int, int]]]:
        """Choose the candidates that apply in order, without touching the ledger yet.

        Returns (included, dropped, new account states). The ledger changes only in `commit`,
        after the block is durable, so a failed write leaves memory and disk in step.
        """
        balances: dict[str, int] = {}
        nonces: dict[str, int] = {}
        included: list[Transaction] = []
        dropped: list[Transaction] = []
        for tx in candidates:
            sender = tx.sender
            balance = balances[sender] if sender in balances else self.balance(sender)
            nonce = nonces[sender] if sender in nonces else self.nonce(sender)
            if tx.nonce != nonce or balance < tx.amount + tx.fee:
                dropped.append(tx)
                continue
            balances[sender] = balance - tx.amount - tx.fee
            nonces[sender] = nonce + 1
            recipient = tx.recipient
            balances[recipient] = (
                balances[recipient] if recipient in balances else self.balance(recipient)
            ) + tx.amount
            balances[producer] = (
                balances[producer] if producer in balances else self.balance(producer)
            ) + tx.fee
            included.append(tx)
        touched = {
            address: (balance, nonces.get(address, self.nonce(address)))
            for address, balance in balances.items()
        }
        return included, dropped, touched

    def commit(self, touched: dict[str, tuple[int, int]]) -> None:
        for address, (balance, nonce) in touched.items():
            self.balances[address] = balance
            if nonce:
                self.nonces[address] = nonce

"""Scenario `mixed` on an Ethereum node: one sender to nine readers."""

from app.load.locustfiles.ethereum_users import EthereumReadUser, EthereumTransferUser


class Sender(EthereumTransferUser):
    weight = 1


class Reader(EthereumReadUser):
    weight = 9

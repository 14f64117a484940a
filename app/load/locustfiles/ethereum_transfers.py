"""Scenario `transfers` on an Ethereum node: `eth_sendRawTransaction` from funded senders."""

from app.load.locustfiles.ethereum_users import EthereumTransferUser


class Transfers(EthereumTransferUser):
    pass

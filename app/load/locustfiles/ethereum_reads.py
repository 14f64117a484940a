"""Scenario `reads` on an Ethereum node: JSON-RPC reads."""

from app.load.locustfiles.ethereum_users import EthereumReadUser


class Reads(EthereumReadUser):
    pass

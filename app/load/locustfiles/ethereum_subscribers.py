"""Scenario `subscribers` on an Ethereum node: `eth_subscribe newHeads`."""

from app.load.locustfiles.ethereum_users import EthereumSubscriberUser


class Subscribers(EthereumSubscriberUser):
    pass

"""Scenario `transfers`: signed transfers from the run's own funded senders."""

from app.load.locustfiles.users import TransferUser


class Transfers(TransferUser):
    pass

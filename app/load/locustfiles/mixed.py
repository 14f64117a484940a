"""Scenario `mixed`: one sender to nine readers."""

from app.load.locustfiles.users import ReadUser, TransferUser


class Sender(TransferUser):
    weight = 1


class Reader(ReadUser):
    weight = 9

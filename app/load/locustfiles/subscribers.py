"""Scenario `subscribers`: users holding the node's block feed open."""

from app.load.locustfiles.users import SubscriberUser


class Subscribers(SubscriberUser):
    pass

"""Scenario `reads`: the explorer's mix of reads."""

from app.load.locustfiles.users import ReadUser


class Reads(ReadUser):
    pass

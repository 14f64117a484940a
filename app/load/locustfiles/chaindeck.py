"""Given to Locust beside every scenario's locustfile, a user's own included: ChainDeck's figures,
phases and link to the job (engine.py), and the shape that drives them."""

from app.load.locustfiles.engine import ChainDeckShape

__all__ = ["ChainDeckShape"]

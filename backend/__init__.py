"""The embedded ChainDeck node: a complete chain node, runnable alone (`python -m backend`)."""

__version__ = "0.1.0"

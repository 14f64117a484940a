"""The node process: configuration, chain state machine, sealing and durability."""

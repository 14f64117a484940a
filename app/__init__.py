"""The ChainDeck application without widgets: clients, services, jobs and the `chaindeck` CLI."""

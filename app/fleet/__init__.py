"""The fleet without Qt: member state and the poller, for the Fleet tab, the CLI and gates."""

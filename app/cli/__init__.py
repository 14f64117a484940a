"""The `chaindeck` command line (shared/spec/cli.md)."""

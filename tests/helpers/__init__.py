"""Helpers shared by the tests and benchmarks: real node processes and a signing client."""

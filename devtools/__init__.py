"""Tools for running the suite locally (end-to-end tests and benchmarks)."""

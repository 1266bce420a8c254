"""Benchmarks and the data they use (see docs/bench.md); never imported by the application."""

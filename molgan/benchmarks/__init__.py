"""Benchmarks (run as modules, e.g. ``python -m molgan.benchmarks.codec``)."""

"""Benchmarks: ``python -m bench <scenario>`` (numbers, not assertions)."""

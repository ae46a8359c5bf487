"""Benchmarks (``make bench``): numbers, not tests."""

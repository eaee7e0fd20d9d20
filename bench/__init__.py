"""Benchmarks against peers (make bench)."""

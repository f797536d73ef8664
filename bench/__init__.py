"""Benchmarks: speed figures, never timed tests."""

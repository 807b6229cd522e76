"""Helpers of the fuzz campaign (``benchmarks/fuzz_parsers.py``): the targets with their clean outcomes, and seeds."""

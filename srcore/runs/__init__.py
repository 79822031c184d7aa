"""Runs that make the book's records: the results cache and one runner per family
(supervised training, internal learning, bicubic benchmarks)."""

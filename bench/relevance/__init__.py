"""Relevance: the scoring harness (harness.py) of judged query sets."""

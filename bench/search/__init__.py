"""Search benchmarks: the corpus maker (corpus.py) and the scripts run by the Makefile bench targets."""

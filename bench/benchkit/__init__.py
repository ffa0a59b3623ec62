"""The pipehost benchmark's parts; bench.py runs them in order."""

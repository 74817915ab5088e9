"""Benchmarks (not tests): synthetic archive, latency, ingestion, accuracy, cold start."""

"""Benchmarks of orq_images against raw httpx and other clients of the same API (see run.py)."""

"""Benchmarks of orq_images against raw httpx2 and other clients of the same API (see run.py)."""

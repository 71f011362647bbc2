"""Benchmarks: each measurement runs in a fresh process so time and peak memory are its own."""

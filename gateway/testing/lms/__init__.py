"""LMS-shaped servers for tests, benchmarks and vendor certification."""

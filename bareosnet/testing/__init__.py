"""Helpers for tests and benchmarks that need a peer behaving like a real Bareos client."""

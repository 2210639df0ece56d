"""Helpers shared by the test suite (transcript reader, ...)."""

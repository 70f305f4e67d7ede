"""Evaluate stage: pure functions of facts and criteria (clock passed in, no I/O)."""

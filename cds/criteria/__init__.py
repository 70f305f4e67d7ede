"""Criteria as data: the schema of criteria files and the loader that validates them at start-up."""

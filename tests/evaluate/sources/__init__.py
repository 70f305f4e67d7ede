"""Unit tests of the feature source kinds, one file per kind (cds/evaluate/sources)."""

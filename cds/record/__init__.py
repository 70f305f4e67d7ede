"""Gathering the record: prefetch decoding and the FHIR server fallback."""

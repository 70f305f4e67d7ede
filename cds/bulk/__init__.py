"""Whole-practice and regional audits over FHIR Bulk Data exports (issue 14, docs/audit.md)."""

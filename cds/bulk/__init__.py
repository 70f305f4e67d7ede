"""Whole-practice and regional audits over FHIR Bulk Data exports (issue 14, docs/audit.md), and
``cds synth-export`` (:mod:`cds.bulk.synth`): a synthetic practice's export to audit."""

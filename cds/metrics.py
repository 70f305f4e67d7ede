"""Prometheus metrics of the service (``GET /metrics``, :mod:`cds.api.metrics`).

Defined here, outside the stages, so that :mod:`cds.record` can count its FHIR reads without
importing the API layer. Labels are only our own bounded values: service id, HTTP status code,
outcome, stage, card indicator, pathway code, a fixed failure kind. Never a patient id, a name, a
URL (it carries the patient id), a hookInstance or a token.

**Several workers.** prometheus-client's default registry belongs to one process: with
``CDS_WORKERS`` > 1 each scrape reaches one worker and sees that worker's counts only. Scrape each
worker (one port per worker), or run one worker per container; prometheus-client's multi-process
mode (``PROMETHEUS_MULTIPROC_DIR``) is not set up here.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Milliseconds would read better, but Prometheus' convention is seconds.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HOOK_REQUESTS = Counter(
    "cds_hook_requests",
    "POST /cds-services/{id} answers, per service and HTTP status",
    ["service", "status"],
)
HOOK_CALLS = Counter(
    "cds_hook_calls",
    "Valid hook calls per service and outcome (ok, precondition-failed, error-gather, ...)",
    ["service", "outcome"],
)
STAGE_SECONDS = Histogram(
    "cds_hook_stage_seconds",
    "Time per stage of a valid hook call (gather, facts, evaluate, render, total)",
    ["service", "stage"],
    buckets=_LATENCY_BUCKETS,
)
CARDS = Counter(
    "cds_cards",
    "Cards answered, per indicator and pathway code (a group card counts for its lead pathway)",
    ["indicator", "pathway"],
)
FHIR_READS = Counter(
    "cds_fhir_reads",
    "GETs to the EHR's FHIR server (data not prefetched, and next pages)",
)
FHIR_READ_FAILURES = Counter(
    "cds_fhir_read_failures",
    "FHIR reads that failed, per kind (timeout, http_4xx, http_5xx, unreachable, busy, ...)",
    ["kind"],
)


def fhir_failure_kind(reason: str) -> str:
    """A bounded label for a :class:`~cds.errors.FhirFetchError` reason (fixed phrases)."""
    if reason.startswith("HTTP "):
        code = reason[5:6]
        return f"http_{code}xx" if code.isdigit() else "http"
    for prefix, kind in (
        ("timeout", "timeout"),
        ("unreachable", "unreachable"),
        ("refused", "refused"),
        ("too many", "busy"),
        ("response too large", "too_large"),
    ):
        if reason.startswith(prefix):
            return kind
    return "invalid"  # not JSON, not a FHIR resource, OperationOutcome
